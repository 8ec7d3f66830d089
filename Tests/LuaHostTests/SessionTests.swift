/// SessionTests.swift: a state kept across chunks (the REPL's): expressions and statements,
/// incomplete chunks, errors and limits that leave the session usable, interrupts,
/// completion.
import Foundation
import LuaHost
import Testing
import TestSupport

@Suite struct SessionTests {
    /// Prints each value with tostring, tab-separated.
    static let printer = """
        local pack, tostring, concat, print = table.pack, tostring, table.concat, print
        return function(f)
          local r = pack(f())
          if r.n == 0 then return end
          local shown = {}
          for i = 1, r.n do shown[i] = tostring(r[i]) end
          print(concat(shown, "\\t"))
        end
        """

    func session(timeout: Duration = .seconds(30), memory: Int = 16 << 20) throws -> (LuaSession, CollectedOutput) {
        let output = CollectedOutput()
        let session = try LuaSession(limits: LuaLimits(memory: memory, timeout: timeout), modules: [Demo.module],
                                     output: output, directory: nil, printer: Self.printer)
        return (session, output)
    }

    @Test func globalsPersistAndExpressionsShowTheirValues() async throws {
        let (session, output) = try session()
        #expect(await session.evaluate("x = 20") == .completed)
        #expect(await session.evaluate("x + 1, 'two'") == .completed)
        #expect(await session.evaluate("=x * 2") == .completed)
        #expect(await session.evaluate("local hidden = 1") == .completed)
        #expect(await session.evaluate("hidden") == .completed)
        #expect(await session.evaluate("demo.sleep(5)") == .completed) // a yielding binding
        #expect(output.text == "21\ttwo\n40\nnil\n5\n")
    }

    @Test func anUnfinishedChunkAsksForMore() async throws {
        let (session, output) = try session()
        #expect(await session.evaluate("for i = 1, 2 do") == .incomplete)
        #expect(await session.evaluate("function f(a,") == .incomplete)
        #expect(await session.evaluate("for i = 1, 2 do\nprint(i)\nend") == .completed)
        #expect(output.text == "1\n2\n")
        #expect(await session.evaluate("x = = 1") == .failed(.scriptError(message: "stdin:1: unexpected symbol near '='", traceback: "stdin:1: unexpected symbol near '='")))
    }

    @Test func errorsAndLimitsLeaveTheSessionUsable() async throws {
        let (session, output) = try session(timeout: .seconds(1))
        #expect(await session.evaluate("kept = 7") == .completed)
        guard case .failed(.scriptError(let message, _)) = await session.evaluate("error('boom')") else { Issue.record("no error"); return }
        #expect(message == "stdin:1: boom")
        guard case .failed(.limit(.timeout, _)) = await session.evaluate("while true do end") else { Issue.record("no timeout"); return }
        guard case .failed(.limit(.timeout, _)) = await session.evaluate("demo.sleep(3000)") else { Issue.record("no timeout while waiting"); return }
        #expect(await session.evaluate("=kept") == .completed)
        #expect(output.text == "7\n")
    }

    @Test func aMemoryLimitLeavesTheSessionUsable() async throws {
        let (session, output) = try session(timeout: .seconds(60))
        #expect(await session.evaluate("kept = 7") == .completed)
        let memory = await session.evaluate("local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(100) .. i end")
        guard case .failed(.limit(.memory, _)) = memory else { Issue.record("no memory limit: \(memory)"); return }
        #expect(await session.evaluate("=kept") == .completed, "what the stopped chunk held was collected")
        #expect(output.text == "7\n")
    }

    @Test func interruptStopsComputingAndWaiting() async throws {
        let (session, output) = try session(timeout: .seconds(30))
        // Set apart: an interrupt that comes before a chunk's first instruction stops it there.
        #expect(await session.evaluate("n = 0") == .completed)
        for chunk in ["while true do n = n + 1 end", "demo.sleep(20000)"] {
            let finished = Locked(false)
            let running = Task {
                let evaluation = await session.evaluate(chunk)
                finished.set(true)
                return evaluation
            }
            // As a person would: press Ctrl-C again if the first came before the chunk started.
            for _ in 0..<100 where !finished.value {
                try await Task.sleep(for: .milliseconds(100))
                session.interrupt()
            }
            #expect(await running.value == .failed(.limit(.interrupted, message: "interrupted")), "\(chunk)")
        }
        let after = await session.evaluate("=n >= 0")
        #expect(after == .completed, "\(after)")
        #expect(output.text == "true\n")
    }

    @Test func completionOfGlobalsFieldsAndMethods() async throws {
        let (session, _) = try session()
        #expect(await session.evaluate("user = {email = 'a@x', employee = 1, ['not ident'] = 2, __hidden = 3} s = 'text'") == .completed)
        #expect(session.completions(for: "dem") == ["demo"])
        #expect(session.completions(for: "demo.sle").sorted() == ["demo.sleep", "demo.sleep_fail"])
        #expect(session.completions(for: "print(user.em") == ["user.email", "user.employee"])
        #expect(session.completions(for: "user.") == ["user.email", "user.employee"])
        #expect(session.completions(for: "s:up") == ["s:upper"])
        #expect(session.completions(for: "string.for") == ["string.format"])
        #expect(session.completions(for: "nothing.here").isEmpty)
        #expect(session.completions(for: "x = 1 + ").isEmpty)
    }
}

/// A flag shared with a task.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func set(_ value: Value) { lock.lock(); stored = value; lock.unlock() }
}
