/// HexText.swift: bytes as lowercase hex, the form digests and ids are written in.

extension Sequence<UInt8> {
    /// Two lowercase hex digits a byte (String(format: "%02x") per byte costs more than
    /// the hash it prints: a read's fingerprint is one per call). Inlinable, so that a
    /// digest is iterated as its own type, not through its conformance a byte at a time.
    @inlinable
    public var hexText: String {
        @inline(__always) func digit(_ value: UInt8) -> UInt8 { value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10 }
        var hex: [UInt8] = []
        hex.reserveCapacity(Swift.max(underestimatedCount, 32) * 2)
        for byte in self {
            hex.append(digit(byte >> 4))
            hex.append(digit(byte & 0x0F))
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
