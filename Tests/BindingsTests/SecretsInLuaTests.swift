/// SecretsInLuaTests.swift: nothing a script can reach holds a credential, even from a
/// server that echoes the request's headers into its error messages.
import Emulator
import Engine
import Foundation
import Hummingbird
import Logging
import LuaHost
import Testing
import Vendors

@Suite struct SecretsInLuaTests {
    static let secrets = [
        ActiveconnectAPI.applicationSecret, EncoreAPI.subscriptionKey, GuardantAPI.token,
        Active911API.refreshToken, AllthenticateAPI.apiKey,
    ]

    /// `calls`: one call to each vendor, each of which fails in these tests.
    static let oneCallPerVendor = """
        local calls = {
          function() return activeconnect.has_device("nobody") end,
          function() return encore.get_user(1) end,
          function() return guardant.update_user(1, {active = true}) end,
          function() return active911.delete_member(nil, 1) end,
          function() return allthenticate.get_user(1) end,
        }
        """

    @Test func noReachableStringHoldsASecret() async throws {
        try await EmulatedRun.with { run in
            // Walk everything reachable from _G (and metatables), print every string and
            // every value's tostring, and make every vendor fail once.
            let (result, output) = await run.lua("""
                local seen = {}
                local function walk(value, depth)
                  if depth > 8 or seen[value] then return end
                  if type(value) == "table" then
                    seen[value] = true
                    for k, v in pairs(value) do
                      print(tostring(k)); print(tostring(v))
                      walk(k, depth + 1); walk(v, depth + 1)
                    end
                    walk(getmetatable(value), depth + 1)
                  else
                    print(tostring(value))
                  end
                end
                walk(_G, 0)
                walk(getmetatable(""), 0)
                \(Self.oneCallPerVendor)
                for _, call in ipairs(calls) do
                  local ok, err = pcall(call)
                  print(tostring(err))
                  if type(err) == "table" then for k, v in pairs(err) do print(k, tostring(v)) end end
                end
                help()
                for _, m in ipairs({activeconnect, encore, guardant, active911, allthenticate}) do help(m) end
                """)
            #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
            #expect(output.count > 1000)
            for secret in Self.secrets {
                #expect(!output.contains(secret), "a secret reached Lua")
            }
            for call in result.calls {
                for secret in Self.secrets { #expect(!call.summary.contains(secret)) }
            }
        }
    }

    @Test func credentialsEchoedByAServerNeverReachTheScript() async throws {
        let server = try await EchoServer.start()
        defer { server.stop() }
        let secrets = ["ac-secret-hunter2", "encore-key-hunter2", "guardant-hunter2", "a911-refresh-hunter2", "allth-key-hunter2"]
        let origin = server.origin
        let tenant = Tenant(name: "echo", [
            ActiveconnectConfiguration(baseURL: origin, applicationID: "APP", applicationSecret: Secret(secrets[0])),
            EncoreConfiguration(baseURL: origin, subscriptionKey: Secret(secrets[1])),
            GuardantConfiguration(baseURL: origin, token: HeaderCredential(Secret(secrets[2]))),
            Active911Configuration(baseURL: origin, tokenURL: origin, refreshToken: Secret(secrets[3]), agency: "ag",
                                   requestsPerWindow: 100, window: .seconds(1)),
            AllthenticateConfiguration(baseURL: origin, apiKey: HeaderCredential(Secret(secrets[4]))),
        ])
        let runner = VendorScriptRunner(tenant: tenant, limits: LuaLimits(timeout: .seconds(30)), http: VendorHTTP(timeout: .seconds(5), retry: .none))
        let output = CollectedOutput()
        let result = await runner.run(LuaScript(name: "echo.lua", source: """
            \(Self.oneCallPerVendor)
            for _, call in ipairs(calls) do
              local ok, err = pcall(call)
              assert(not ok)
              print(tostring(err), err.message, err.code)
            end
            encore.get_user(2) -- ends the run with the error as its outcome
            """), dryRun: false, output: output)
        let text = output.text
        #expect(text.components(separatedBy: "<redacted>").count > 5, "\(text)")
        let outcome = result.outcome.summaryForTests
        #expect(outcome.contains("<redacted>"), "\(outcome)")
        for secret in secrets {
            #expect(!text.contains(secret), "\(text)")
            #expect(!outcome.contains(secret))
            for call in result.calls {
                if case .failed(let message) = call.outcome { #expect(!message.contains(secret), "\(message)") }
            }
        }
    }
}

/// Answers every request with 400 and a body repeating all of the request's headers.
final class EchoServer: Sendable {
    let origin: String
    private let task: Task<Void, any Error>

    private init(origin: String, task: Task<Void, any Error>) {
        self.origin = origin
        self.task = task
    }

    static func start() async throws -> EchoServer {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: Echo())
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test-server")
        logger.logLevel = .warning // the suite's output is the tests', not each server's start
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                      onServerRunning: { sink.yield($0.localAddress?.port ?? 0); sink.finish() }, logger: logger)
        let task = Task { try await application.run() }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        return EchoServer(origin: "http://127.0.0.1:\(port)", task: task)
    }

    func stop() { task.cancel() }

    private struct Echo: RouterMiddleware {
        typealias Context = BasicRequestContext
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            let echoed = request.headers.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
            let json = try JSONSerialization.data(withJSONObject: [
                "message": "you sent " + echoed, "error": "you sent " + echoed, "code": echoed, "Code": 1, "Message": echoed,
                "success": false,
            ])
            return Response(status: .badRequest, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
        }
    }
}
