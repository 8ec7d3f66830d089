/// AllthenticateModels.swift: what Allthenticate sends and answers, as the client reads and writes it.
import Foundation

/// A smartcard: a number of digits and a label.
public struct AllthenticateSmartcard: Codable, Sendable, Equatable {
    public var number: String
    public var label: String?
    public init(number: String, label: String? = nil) {
        self.number = number
        self.label = label
    }
}

/// A user's policies, computer usernames and smartcards.
public struct AllthenticateUserDetails: Decodable, Sendable, Equatable {
    /// A computer username: the vendor's page lists them as strings in `GET /user`, while
    /// `/modifyallusernames` takes `{"computer_username": name}` objects; both are read.
    public struct ComputerUsername: Codable, Sendable, Equatable {
        public var computer_username: String

        public init(computer_username: String) { self.computer_username = computer_username }

        public init(from decoder: any Decoder) throws {
            if let name = try? decoder.singleValueContainer().decode(String.self) {
                computer_username = name
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            computer_username = try container.decode(String.self, forKey: .computer_username)
        }
    }
    public var policies: [JSONValue]
    public var computer_usernames: [ComputerUsername]
    public var smartcards: [AllthenticateSmartcard]
}

/// The outcome of an invitation.
public struct AllthenticateInviteResult: Decodable, Sendable, Equatable {
    public var added: [String]?
    public var invited: [String]?
    public var exists: [String]?
    public var invalid: [String]?
}

/// A pending invitation.
public struct AllthenticateInvite: Decodable, Sendable, Equatable {
    public var email: String
    public var added_date: String?
}

/// A user's rank in the organization.
public enum AllthenticateRank: String, Sendable, CaseIterable {
    case regular = "REGULAR", admin = "ADMIN", superuser = "SUPER"
}
