/// PipedInputTests.swift: the REPL's piped lines, read in blocks: lines that cross a block's
/// edge, CRLF, a last line without a newline, and a line past the limit.
import Foundation
@testable import RosterCLI
import Testing

@Suite struct PipedInputTests {
    /// The lines `PipedInput` reads from a file holding `bytes`, and its refusal.
    static func lines(of bytes: [UInt8], limit: Int = 1 << 20) throws -> (lines: [String], refusal: String?) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("piped-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        let input = PipedInput(descriptor: descriptor, limit: limit)
        var lines: [String] = []
        while let line = input.readLine(prompt: "") { lines.append(line) }
        return (lines, input.refusal)
    }

    @Test func linesAcrossBlocksAreWhole() throws {
        // Lines of every length around the 64 KB block, so that newlines fall on, before and
        // after its edges.
        let expected = (0..<400).map { String(repeating: Character(UnicodeScalar(97 + $0 % 26)!), count: ($0 * 331) % 70_000) }
        let read = try Self.lines(of: Array(expected.joined(separator: "\n").utf8) + [10])
        #expect(read.lines == expected && read.refusal == nil)
    }

    @Test func endingsAndBytesAreReadAsSwiftsReadLineDid() throws {
        let read = try Self.lines(of: Array("a\r\n\nb\r\nlast".utf8) + [0xFF, 0x41])
        #expect(read.lines == ["a", "", "b", "last\u{FFFD}A"])
    }

    @Test func aLinePastTheLimitEndsTheInput() throws {
        let text = "x = 1\n" + String(repeating: "y", count: 300_000) + "\nnever read\n"
        let read = try Self.lines(of: Array(text.utf8), limit: 200_000)
        #expect(read.lines == ["x = 1"])
        #expect(read.refusal?.hasPrefix("line 2 of the input holds more than") == true)
    }
}
