/// ActiveconnectModels.swift: what Activeconnect answers, as the client reads it.

/// The users `add_users` created, and those that already existed.
public struct ActiveconnectAddedUsers: Sendable, Equatable, Decodable {
    public var created: [String]
    public var existing: [String]
}
