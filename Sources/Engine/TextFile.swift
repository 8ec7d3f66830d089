/// TextFile.swift: the text files Roster reads from an admin (a script, an --each CSV) are
/// UTF-8. One saved in another encoding is refused, naming the line, instead of being read
/// with its letters replaced: a CSV saved by Excel as Windows-1252 put "Jos\u{FFFD}" where
/// "José" was, in every vendor, and a UTF-16 one ran each row with every field missing.

/// Reads the text of a file an admin wrote.
public enum TextFile {
    /// `bytes` as text, without a leading UTF-8 byte-order mark (spreadsheets write one).
    public static func decode(_ bytes: some Collection<UInt8>) throws(TextFileError) -> String {
        var bytes = bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) || bytes.contains(0) {
            throw TextFileError("UTF-16 text (or NUL bytes), not UTF-8; save it as UTF-8")
        }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        // Where the first byte that is not UTF-8 is, for the message.
        var line = 1, column = 1
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = bytes.startIndex
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1, encoded.first == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
                offset = bytes.index(offset, offsetBy: encoded.count)
            case .error:
                throw TextFileError("line \(line): not UTF-8 text (byte 0x\(String(bytes[offset], radix: 16, uppercase: true)) at character \(column)); "
                    + "it was probably saved as Windows-1252 or Latin-1: save it as UTF-8")
            case .emptyInput:
                // Unreachable: the bytes did not validate, so an error comes first.
                throw TextFileError("not UTF-8 text; save it as UTF-8")
            }
        }
    }
}

extension TextFile {
    /// A Lua script's bytes, checked as `decode` checks text; luac's output is passed on as
    /// it is, for the loader to refuse by name.
    public static func script(_ bytes: some Collection<UInt8>) throws(TextFileError) -> [UInt8] {
        if bytes.starts(with: [0x1B, 0x4C, 0x75, 0x61]) { return Array(bytes) } // "\eLua"
        return Array(try decode(bytes).utf8)
    }
}

/// Why a file is not text Roster reads, and what to do about it (written after the file's
/// name and a colon).
public struct TextFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
