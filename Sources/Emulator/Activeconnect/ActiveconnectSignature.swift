/// ActiveconnectSignature.swift: Activeconnect's request HMAC, recomputed from the request
/// as received (VENDORS.md §1, "Authentication").
import Crypto
import Foundation

/// The signing scheme of the official Activeconnect client.
public enum ActiveconnectSignature {
    /// How far a request's timestamp may be from the emulator's clock (assumed: 300 s).
    public static let timestampWindow: TimeInterval = 300

    /// First 16 bytes of SHA-256(nonce + secret).
    public static func token(nonce: String, secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Data((nonce + secret).utf8)).prefix(16))
    }

    /// Base64 of the first 16 bytes of HMAC-SHA-256(token, nonce + url + timestamp), where
    /// `url` is the request URL without its scheme and `://`.
    public static func signature(nonce: String, secret: String, url: String, timestamp: String) -> String {
        let key = SymmetricKey(data: token(nonce: nonce, secret: secret))
        let mac = HMAC<SHA256>.authenticationCode(for: Data((nonce + url + timestamp).utf8), using: key)
        return Data(Array(mac).prefix(16)).base64EncodedString()
    }

    /// The parts of `Authentication: hmac {application_id}:{nonce}:{signature}`.
    public struct Header: Equatable {
        public var applicationID: String
        public var nonce: String
        public var signature: String

        public init?(_ value: String) {
            guard value.hasPrefix("hmac ") else { return nil }
            let parts = value.dropFirst(5).split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, !parts[0].isEmpty, UInt64(parts[1]) != nil, !parts[2].isEmpty else { return nil }
            applicationID = parts[0]
            nonce = parts[1]
            signature = parts[2]
        }
    }

    /// Whether two signatures are equal, in constant time.
    static func matches(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
