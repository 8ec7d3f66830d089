/// Active911Unit.swift: Active911 as one unit — its `roster.toml` section, its Lua module, its
/// emulated API and its demo account's keys.
import Bindings
import Emulator
import Vendors

extension VendorUnit {
    /// Active911, as every layer sees it.
    public static let active911 = VendorUnit(
        settings: Active911Settings.self, module: Active911Module.self, emulatedAPI: Active911API.self,
        demoKeys: [
            ("token_url", .baseURL), ("refresh_token", .secret(file: "active911.refresh", value: Active911API.refreshToken)),
            ("agency", .text(Active911API.agency)),
        ])
}

/// `[tenants.NAME.active911]`
public struct Active911Settings: VendorSettings {
    public var baseURL: String?
    public var tokenURL: String?
    public var refreshToken: SecretReference
    public var agency: String?
    /// The pace kept below Active911's limit, per account.
    public var requestsPerMinute: Int?
    /// The account's limit and window (`"25/60s"`, as `roster emulator --rate-limit` writes it).
    public var rateLimit: RateLimit?
    /// The share of the limit left free for others using the account (`reserve = 0.2`).
    public var reserve: Double?

    static let keys = ["base_url", "token_url", "refresh_token", "agency", "requests_per_minute", "rate_limit", "reserve"]

    public init(_ section: ConfigurationSection) throws(ConfigurationError) {
        try section.requireOnly(Self.keys)
        baseURL = try section.url("base_url")
        tokenURL = try section.url("token_url")
        refreshToken = try section.secret("refresh_token", required: true)!
        agency = try section.pathSegment("agency", example: "3e597c4a-877f-4c62-9f62-21e8635907e2")
        requestsPerMinute = try section.integer("requests_per_minute", in: 1...10_000)
        rateLimit = try section.rateLimit("rate_limit")
        reserve = try section.fraction("reserve", in: 0...0.9)
    }

    public var target: String {
        "\(baseURL ?? "default"), tokens from \(tokenURL ?? "default"), agency \(agency ?? "default"), refresh token from \(refreshToken.origin)"
    }

    /// The refresh token is the account's credential (access tokens come from it); it lasts a year.
    public var credentialCheck: String { refreshToken.place + "; a refresh token lasts a year" }

    public func configuration(_ environment: [String: String]) throws(ConfigurationError) -> any VendorConfiguration {
        var configuration = Active911Configuration(refreshToken: try refreshToken.resolve(environment: environment), agency: agency)
        if let baseURL { configuration.baseURL = baseURL }
        if let tokenURL { configuration.tokenURL = tokenURL }
        if let requestsPerMinute { configuration.requestsPerWindow = requestsPerMinute }
        if let rateLimit {
            configuration.requestsPerWindow = rateLimit.requests
            configuration.window = rateLimit.window
        }
        if let reserve { configuration.reserve = reserve }
        return configuration
    }
}
