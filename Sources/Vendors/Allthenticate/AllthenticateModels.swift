/// AllthenticateModels.swift: what Roster sends Allthenticate (answers are read by their
/// declared shapes, in the Lua module).
import Foundation

/// A smartcard: a number of digits and a label.
public struct AllthenticateSmartcard: Encodable, Sendable, Equatable {
    public var number: String
    public var label: String?
    public init(number: String, label: String? = nil) {
        self.number = number
        self.label = label
    }
}

/// A user's rank in the organization.
public enum AllthenticateRank: String, Sendable, CaseIterable {
    case regular = "REGULAR", admin = "ADMIN", superuser = "SUPER"
}
