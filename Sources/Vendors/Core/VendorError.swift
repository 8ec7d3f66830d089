/// VendorError.swift: the one error every vendor call fails with.

/// A vendor call that failed: which vendor and operation, the HTTP status and the vendor's
/// own code and message when there were any, and whether trying again may help. Never
/// carries a credential.
public struct VendorError: Error, Sendable, Equatable, CustomStringConvertible {
    public var vendor: Vendor
    /// The Lua-facing operation name: `get_user`.
    public var operation: String
    /// The HTTP status, or nil when no response came (connect error, timeout).
    public var status: Int?
    /// The vendor's error code (Encore's `Code`, Guardant's `code`, ...), as text.
    public var code: String?
    public var message: String
    public var retryable: Bool
    /// The request may have reached the vendor and no answer came (a timeout, a connection
    /// cut, a cancellation after sending): whether it took effect is unknown. False when the
    /// vendor answered, or when nothing was sent (a refused connection).
    public var outcomeUnknown: Bool
    /// No request reached the vendor: its host took no connection (refused, timed out, not
    /// found, a failed TLS handshake, a proxy's refusal). Until it is back, every call to it
    /// fails the same way.
    public var unreachable: Bool

    public init(vendor: Vendor, operation: String, status: Int?, code: String? = nil, message: String, retryable: Bool,
                outcomeUnknown: Bool = false, unreachable: Bool = false) {
        self.vendor = vendor
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable
        self.outcomeUnknown = outcomeUnknown
        self.unreachable = unreachable
    }

    /// A failure every other call to the vendor would meet too: it cannot be reached, or it
    /// refused the tenant's credentials (HTTP 401).
    public var vendorWide: Bool { unreachable || status == 401 }

    /// `encore.get_user: HTTP 404 (code 128): User not found or deleted.`
    public var description: String {
        Self.line(vendor: vendor.rawValue, operation: operation, status: status, code: code, message: message)
    }

    /// The one line of a failure: `encore.get_user: HTTP 404 (code 128): User not found or deleted.`;
    /// a refusal in a success status (Activeconnect's `{"status": false}` in a 200) reads
    /// `refused (HTTP 200)`, not as if HTTP itself had failed.
    public static func line(vendor: String, operation: String, status: Int?, code: String?, message: String) -> String {
        var text = "\(vendor).\(operation): "
        switch status {
        case let status? where (200..<300).contains(status): text += "refused (HTTP \(status))"
        case let status?: text += "HTTP \(status)"
        case nil: text += "no response"
        }
        if let code { text += " (code \(code))" }
        return text + ": " + message
    }
}
