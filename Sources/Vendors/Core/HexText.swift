/// HexText.swift: bytes as lowercase hex, the form digests and ids are written in.

extension Sequence<UInt8> {
    /// Two lowercase hex digits a byte (String(format: "%02x") per byte costs more than
    /// the hash it prints: a read's fingerprint is one per call).
    public var hexText: String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
