/// ActiveconnectSigner.swift: how every Activeconnect request is signed (VENDORS.md §1,
/// "Authentication"), as the official client does it.
import Crypto
import Foundation

/// Signs requests for one application.
struct ActiveconnectSigner: Sendable {
    let applicationID: String
    let secret: Secret
    /// A random unsigned 64-bit nonce per request (replaceable in tests).
    var nonce: @Sendable () -> UInt64 = { UInt64.random(in: 0...UInt64.max) }
    /// Unix seconds (replaceable in tests).
    var now: @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }

    /// The three authentication headers for `url` (the full URL as sent).
    func headers(for url: String) -> [(String, String)] {
        let nonce = String(self.nonce())
        let timestamp = String(now())
        let signature = Self.signature(nonce: nonce, secret: secret.reveal(), url: Self.strippingScheme(url), timestamp: timestamp)
        return [
            ("Authentication", "hmac \(applicationID):\(nonce):\(signature)"),
            ("X-Sonikpass-Authentication-Timestamp", timestamp),
            ("X-Sonikpass-Authentication-Version", "1"),
        ]
    }

    /// `https://host/path?q` → `host/path?q`.
    static func strippingScheme(_ url: String) -> String {
        guard let range = url.range(of: "://") else { return url }
        return String(url[range.upperBound...])
    }

    /// Base64 of the first 16 bytes of HMAC-SHA-256, keyed with the first 16 bytes of
    /// SHA-256(nonce + secret), over nonce + url + timestamp.
    static func signature(nonce: String, secret: String, url: String, timestamp: String) -> String {
        let token = SHA256.hash(data: Data((nonce + secret).utf8)).prefix(16)
        let mac = HMAC<SHA256>.authenticationCode(for: Data((nonce + url + timestamp).utf8), using: SymmetricKey(data: Data(token)))
        return Data(mac.prefix(16)).base64EncodedString()
    }
}
