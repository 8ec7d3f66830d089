/// Active911Models.swift: what Active911 sends and answers, as the client reads and writes it.
import Foundation

/// An agency, with its members as `GET /v2/agencies` lists them.
public struct Active911Agency: Decodable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// The agency's members; empty when the answer lists none.
    public var members: [Active911Member]

    private enum CodingKeys: String, CodingKey { case id, name, members }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        members = try container.decodeIfPresent([Active911Member].self, forKey: .members) ?? []
    }
}

/// A member of an agency.
public struct Active911Member: Decodable, Sendable, Equatable {
    public var id: Int
    public var name: String?
    public var email: String?
    public var phone: String?
    public var permissions: [String]?
}

/// A member to create.
public struct Active911NewMember: Encodable, Sendable {
    public var name: String
    public var email: String
    public var phone: String?
    public var permissions: [String]?
    public init(name: String, email: String, phone: String? = nil, permissions: [String]? = nil) {
        self.name = name
        self.email = email
        self.phone = phone
        self.permissions = permissions
    }
}
