/// ChildProcessTests.swift: a child's CPU time, as `ChildProcess` reads it from /proc, against
/// what the child counts for itself.
import ChildProcesses
import Foundation
import Testing
import TestSupport

@Suite struct ChildProcessTests {
    @Test func cpuSecondsIsWhatTheChildRan() async throws {
        // A copy of sh whose name holds a space and parentheses, as /proc/PID/stat shows it.
        let shell = try TemporaryFolders.new("child-cpu").appendingPathComponent("sh) (a b c").path
        // (/bin/sh is a link: the file it leads to is copied.)
        try FileManager.default.copyItem(atPath: URL(fileURLWithPath: "/bin/sh").resolvingSymlinksInPath().path, toPath: shell)
        let output = try ChildProcess.pipe()
        // It spins, prints its own CPU time (the shell's `times`: user, then system), then
        // stops itself, so that its time no longer moves while it is read.
        let child = try ChildProcess.start(shell, arguments: ["-c", "i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done; times; kill -STOP $$"],
                                           output: output.write, error: NullDevice.shared.descriptor)
        close(output.write)
        defer { child.send(SIGKILL) }
        // Read up to its two lines: a stopped child keeps its end of the pipe open.
        let handle = FileHandle(fileDescriptor: output.read, closeOnDealloc: true)
        var printed = ""
        while printed.filter({ $0 == "\n" }).count < 2 {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        let own = try #require(printed.split(separator: "\n").first, "times printed: \(printed)")
        // "0m0.150000s 0m0.000000s": minutes and seconds, user then system.
        let counted = own.split(separator: " ").compactMap { field -> Double? in
            let parts = field.dropLast().split(separator: "m")
            guard parts.count == 2, let minutes = Double(parts[0]), let seconds = Double(parts[1]) else { return nil }
            return minutes * 60 + seconds
        }
        try #require(counted.count == 2, "times printed: \(printed)")
        let selfCounted = counted[0] + counted[1]

        let read = try #require(child.cpuSeconds)
        #expect(selfCounted > 0.02, "the child ran \(selfCounted) s")
        // Both are kept in clock ticks; stopping itself after `times` costs less than one.
        #expect(abs(read - selfCounted) <= 0.03, "read \(read) s, the child counted \(selfCounted) s")

        child.send(SIGKILL)
        while child.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        #expect(child.cpuSeconds == nil) // reaped: its number may be another process's
    }
}
