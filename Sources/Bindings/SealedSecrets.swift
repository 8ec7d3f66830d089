/// SealedSecrets.swift: secrets a workflow holds but cannot read — a plugin's secret
/// settings. The workflow gets a handle (`{secret = "NAME", roster_secret = ID}`); the only
/// thing it can do with one is pass it where an operation declares a secret (a password),
/// and the host puts the value there itself. Output, errors and the journal never see it.
import Crypto
import Foundation
import LuaHost
import Synchronization
import Vendors

/// The secrets of one run, by handle.
public final class SealedSecrets: Sendable {
    private struct Sealed {
        var name: String
        var secret: Secret
    }

    private let sealed = Mutex<[String: Sealed]>([:])

    public init() {}

    /// A handle to `secret`, named `name` (the setting) in messages.
    public func seal(_ secret: Secret, name: String) -> LuaValue {
        let id = (0..<16).map { _ in UInt8.random(in: 0...255) }.hexText
        sealed.withLock { $0[id] = Sealed(name: name, secret: secret) }
        return .table(LuaTable(["secret": .string(LuaString(name)), "roster_secret": .string(LuaString(id))]))
    }

    /// The secret `value` is a handle to, with its name; nil when it is not a handle.
    func unseal(_ value: LuaValue) -> (name: String, secret: Secret)? {
        guard case .table(let table) = value, let id = table["roster_secret"].text else { return nil }
        return sealed.withLock { $0[id] }.map { ($0.name, $0.secret) }
    }

    /// Every secret's value, for scrubbing vendor errors.
    var values: [String] { sealed.withLock { $0.values.map { $0.secret.reveal() } } }
}

extension LuaForm {
    /// `value` with every secret handle it holds where this form declares a secret (a
    /// redacted field) replaced by the secret itself; a handle anywhere else is refused.
    func unsealing(_ value: LuaValue, redacted: Bool, secrets: SealedSecrets, label: String) throws(LuaError) -> LuaValue {
        if let (name, secret) = secrets.unseal(value) {
            guard redacted else {
                throw LuaError("\(label): settings.\(name) is a secret; it can be passed only where a secret goes (a password)")
            }
            return .string(LuaString(secret.reveal()))
        }
        switch (self, value) {
        case (.shape(let shape), .table(var table)):
            for field in shape.fields where table[field.name] != .nil {
                table[field.name] = try field.type.unsealing(table[field.name], redacted: field.redacted, secrets: secrets, label: "\(label).\(field.name)")
            }
            return .table(table)
        case (.list(let element), .table(var table)):
            for index in table.sequence.indices {
                table.sequence[index] = try element.unsealing(table.sequence[index], redacted: false, secrets: secrets, label: "\(label)[\(index + 1)]")
            }
            return .table(table)
        default:
            return value
        }
    }
}
