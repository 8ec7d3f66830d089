/// ConfigurationTests.swift: roster.toml read, checked and resolved; every mistake one line.
import Emulator
import Engine
import Foundation
import Testing
import TestSupport
import Vendors

/// A temporary folder holding one roster.toml (and secrets), removed afterwards.
final class ConfigurationFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("roster-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    var configPath: String { url.appendingPathComponent("roster.toml").path }

    @discardableResult
    func write(_ text: String) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
        return configPath
    }

    func writeSecret(_ name: String, _ value: String, mode: Int = 0o600) throws {
        let path = url.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(value.utf8)))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}

/// The configuration error `body` throws, or nil.
func configurationError<T>(_ body: () throws(ConfigurationError) -> T) -> ConfigurationError? {
    do { _ = try body(); return nil } catch { return error }
}

@Suite struct ConfigurationTests {
    /// Any document is read or refused in one line naming the file, never a crash: 20,000
    /// documents drawn (from a fixed seed) over the pieces a configuration is written with.
    /// (A header with no name, `[` alone on a line, aborted the process in TOMLKit's parser.)
    @Test func anyDocumentIsReadOrRefusedInOneLine() {
        var generator = SplitMix64(seed: 0x70_4D1)
        let pieces = ["[", "]", "[[", "]]", "tenants", "demo", "encore", "guardant", ".", " = ", "=", "\"", "'", "\"\"\"", "'''",
                      "{", "}", ", ", "\n", "\n", "base_url", "\"http://127.0.0.1:1\"", "subscription_key", "env", "file",
                      "default_tenant", "journal", "reserve", "1", "-1", "true", "1e400", "# note", " ", "\\", "\t", "é", "\r",
                      "\u{FEFF}", "\u{A0}", "\0"]
        var read = 0
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...30, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            do throws(ConfigurationError) {
                let document = try ConfigurationDocument(text: text, file: "roster.toml", folder: URL(fileURLWithPath: "/nonexistent"))
                read += 1
                _ = try RosterConfiguration(document)
            } catch {
                #expect(error.description.hasPrefix("roster.toml") && !error.description.contains("\n") && !error.description.contains("\r"),
                        "\(text.debugDescription): \(error.description.debugDescription)")
            }
        }
        #expect(read > 500) // the draw reaches documents that are TOML, not only refusals
    }

    /// What toml++ would abort on (a header with no name, a '}' where an array's value
    /// belongs) is refused naming its line and column.
    @Test(arguments: [
        ("a = 1\n[\n", "roster.toml:2: TOML syntax error: a table header needs a name after its '[', as in [name]; saw the end of the line; correct the syntax at column 2 (see https://toml.io)"),
        ("[=]\n", "roster.toml:1: TOML syntax error: a table header needs a name after its '[', as in [name]; saw '='; correct the syntax at column 2 (see https://toml.io)"),
        ("\u{FEFF}[[ .a]]\n", "roster.toml:1: TOML syntax error: a table header needs a name after its '[', as in [name]; saw '.'; correct the syntax at column 4 (see https://toml.io)"),
        ("a = [\n  1, # one\n  }]\n", "roster.toml:3: TOML syntax error: an array needs a value or its closing ']' here, saw '}'; correct the syntax at column 3 (see https://toml.io)"),
        ("a = [[}]]\n", "roster.toml:1: TOML syntax error: an array needs a value or its closing ']' here, saw '}'; correct the syntax at column 7 (see https://toml.io)"),
        ("a = [\u{2028}]\n", "roster.toml:1: TOML syntax error: an array needs a value or its closing ']' here, saw '\\u{2028}'; correct the syntax at column 6 (see https://toml.io)"),
        ("# [\n[ # x\n", "roster.toml:2: TOML syntax error: a table header needs a name after its '[', as in [name]; saw '#'; correct the syntax at column 3 (see https://toml.io)"),
    ])
    func whatTheParserAbortsOnIsASyntaxError(text: String, expected: String) {
        let error = configurationError { () throws(ConfigurationError) in
            try ConfigurationDocument(text: text, file: "roster.toml", folder: URL(fileURLWithPath: "/nonexistent"))
        }
        #expect(error?.description == expected)
    }

    /// Lines that start with '[' inside a value (an array over several lines, a multi-line
    /// string) are not headers: such documents read as before.
    @Test func linesStartingWithABracketInsideAValueAreNotHeaders() throws {
        let text = #"""
            codes = [
              [
                1, 2 ],
            [ # nested
            3 ],
            ]
            note = """
            [
            """
            quoted = "[ = \" ["
            literal = '''
            [=
            '''
            [table]
            key = 1
            """#
        let document = try ConfigurationDocument(text: text, file: "roster.toml", folder: URL(fileURLWithPath: "/nonexistent"))
        #expect(document.root["table"] != nil && document.root["note"] != nil && document.root["literal"] != nil && document.root["quoted"] != nil)
    }

    /// DESIGN.md's example, with every override set.
    static let full = """
        default_tenant = "acme"
        [tenants.acme.activeconnect]
        base_url = "https://activeconnect.activeapi.ninja/"
        application_id = "APP123"
        application_secret = { env = "ACME_ACTIVECONNECT_SECRET" }
        [tenants.acme.encore]
        subscription_key = { env = "ACME_ENCORE_KEY" }
        api_version = 15
        [tenants.acme.guardant]
        token = { file = "secrets/guardant.token" }
        auth_header = "X-Auth"
        auth_prefix = ""
        [tenants.acme.active911]
        refresh_token = { env = "ACME_A911_REFRESH" }
        agency = "3e597c4a-877f-4c62-9f62-21e8635907e2"
        token_url = "https://tokens.example.com"
        requests_per_minute = 20
        [tenants.acme.allthenticate]
        base_url = "https://proxy.example.com/allthenticate"
        api_key = { env = "ACME_ALLTHENTICATE_KEY" }
        auth_header = "X-Api-Key"
        auth_prefix = "Key "

        [tenants.beta.encore]
        subscription_key = { env = "BETA_ENCORE_KEY" }

        """

    static let environment = [
        "ACME_ACTIVECONNECT_SECRET": "ac-hunter2", "ACME_ENCORE_KEY": "encore-hunter2",
        "ACME_A911_REFRESH": "a911-hunter2", "ACME_ALLTHENTICATE_KEY": "allth-hunter2",
    ]

    @Test func theDesignExampleResolvesEveryVendor() throws {
        let folder = try ConfigurationFolder()
        try folder.writeSecret("secrets/guardant.token", "guardant-hunter2\n")
        let configuration = try RosterConfiguration.load(path: try folder.write(Self.full))
        #expect(configuration.defaultTenant == "acme")
        #expect(configuration.tenants.keys.sorted() == ["acme", "beta"])

        let tenant = try configuration.tenant(named: nil, environment: Self.environment)
        #expect(tenant.name == "acme")
        #expect(tenant.vendors == VendorRegistry.standard.vendors)
        #expect(tenant[ActiveconnectConfiguration.self]?.baseURL == "https://activeconnect.activeapi.ninja")
        #expect(tenant[ActiveconnectConfiguration.self]?.applicationID == "APP123")
        #expect(tenant[ActiveconnectConfiguration.self]?.applicationSecret.reveal() == "ac-hunter2")
        #expect(tenant[EncoreConfiguration.self]?.baseURL == "https://customerapi-encore.actsoft.com")
        #expect(tenant[EncoreConfiguration.self]?.apiVersion == 15)
        #expect(tenant[EncoreConfiguration.self]?.subscriptionKey.reveal() == "encore-hunter2")
        #expect(tenant[GuardantConfiguration.self]?.token.secret.reveal() == "guardant-hunter2")
        #expect(tenant[GuardantConfiguration.self]?.token.header == "X-Auth")
        #expect(tenant[GuardantConfiguration.self]?.token.prefix == "")
        #expect(tenant[Active911Configuration.self]?.tokenURL == "https://tokens.example.com")
        #expect(tenant[Active911Configuration.self]?.baseURL == "https://agency-service.active911.com")
        #expect(tenant[Active911Configuration.self]?.agency == "3e597c4a-877f-4c62-9f62-21e8635907e2")
        #expect(tenant[Active911Configuration.self]?.requestsPerWindow == 20)
        #expect(tenant[AllthenticateConfiguration.self]?.baseURL == "https://proxy.example.com/allthenticate")
        #expect(tenant[AllthenticateConfiguration.self]?.apiKey.header == "X-Api-Key")
        #expect(tenant[AllthenticateConfiguration.self]?.apiKey.prefix == "Key ")

        // Another tenant's secrets are not needed to use this one, and the reverse.
        let beta = try configuration.tenant(named: "beta", environment: ["BETA_ENCORE_KEY": "b"])
        #expect(beta.vendors == [.encore])
    }

    /// What a vendor's 401 asks to check, for each vendor: the key, its line and where its
    /// secret is read from (never the secret), and what else the vendor's credential hangs on.
    @Test func aRefusedCredentialNamesWhereItIsSet() throws {
        let folder = try ConfigurationFolder()
        try folder.writeSecret("secrets/guardant.token", "guardant-hunter2\n")
        let path = try folder.write(Self.full)
        let settings = try #require(try RosterConfiguration.load(path: path).tenants["acme"]).vendors
        let checks = Dictionary(uniqueKeysWithValues: settings.map { ($0.vendor, $0.settings.credentialCheck) })
        #expect(checks[.activeconnect] == "application_id 'APP123' and application_secret at \(path):5 (env ACME_ACTIVECONNECT_SECRET), "
            + "and that this machine's clock is within 5 minutes of the vendor's")
        #expect(checks[.encore] == "subscription_key at \(path):7 (env ACME_ENCORE_KEY)")
        #expect(checks[.guardant] == "token at \(path):10 (file secrets/guardant.token), sent as 'X-Auth: <token>' (auth_header, auth_prefix)")
        #expect(checks[.active911] == "refresh_token at \(path):14 (env ACME_A911_REFRESH); a refresh token lasts a year")
        #expect(checks[.allthenticate] == "api_key at \(path):20 (env ACME_ALLTHENTICATE_KEY), sent as 'X-Api-Key: Key <api_key>' (auth_header, auth_prefix)")
        #expect(!checks.values.contains { $0.contains("hunter2") })
    }

    @Test func theEmulatorsWrittenConfigurationLoads() throws {
        let folder = try ConfigurationFolder()
        try DemoConfiguration().write(to: folder.configPath, origin: "http://127.0.0.1:8089")
        let tenant = try RosterConfiguration.load(path: folder.configPath).tenant(named: nil, environment: [:])
        #expect(tenant.name == "demo")
        #expect(tenant.vendors == VendorRegistry.standard.vendors)
        #expect(tenant[EncoreConfiguration.self]?.baseURL == "http://127.0.0.1:8089/encore")
        #expect(tenant[EncoreConfiguration.self]?.subscriptionKey.reveal() == EncoreAPI.subscriptionKey)
        #expect(tenant[Active911Configuration.self]?.tokenURL == "http://127.0.0.1:8089/active911")
    }

    @Test func noSecretInADescriptionOrDump() throws {
        let folder = try ConfigurationFolder()
        try folder.writeSecret("secrets/guardant.token", "guardant-hunter2")
        let configuration = try RosterConfiguration.load(path: try folder.write(Self.full))
        let tenant = try configuration.tenant(named: "acme", environment: Self.environment)
        for value in [tenant, configuration] as [Any] {
            var dumped = ""
            dump(value, to: &dumped)
            #expect(!dumped.contains("hunter2"))
            #expect(!String(describing: value).contains("hunter2"))
            #expect(!String(reflecting: value).contains("hunter2"))
        }
    }

    /// Each mistake and the one line it gives: file, line, key, problem and fix.
    @Test(arguments: [
        ("default_tenant = \"acme\"\n[tenants.acme.encore]\nsubscription_ky = { env = \"K\" }\n",
         "roster.toml:3: tenants.acme.encore.subscription_ky: unknown key; did you mean subscription_key?"),
        ("[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\nproxy = \"x\"\n",
         "roster.toml:3: tenants.acme.encore.proxy: unknown key; remove it; [tenants.acme.encore] takes base_url, subscription_key, api_version"),
        ("[tenants.acme.encor]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: tenants.acme.encor: unknown key; did you mean encore?"),
        ("[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\napi_version = \"15\"\n",
         "roster.toml:3: tenants.acme.encore.api_version: expected an integer, got a string; write api_version = 1"),
        ("[tenants.acme.encore]\nsubscription_key = \"plain-hunter2\"\n",
         "roster.toml:2: tenants.acme.encore.subscription_key: a secret cannot be written in the configuration (got a string); write subscription_key = { env = \"VARIABLE\" } or subscription_key = { file = \"path\" } (mode 0600)"),
        ("journal_password = \"plain-hunter2\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: journal_password: a secret cannot be written in the configuration (got a string); write journal_password = { env = \"VARIABLE\" } or journal_password = { file = \"path\" } (mode 0600)"),
        ("[plugins]\ntrusted_publishers = [{ name = \"acme-it\", key = \"not-a-key\" }]\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:2: plugins.trusted_publishers: the key of 'acme-it' is not a publisher's public key; paste the one line of the publisher's NAME.pub (roster plugin keygen writes it)"),
        ("[tenants.acme.encore]\napi_version = 2\n",
         "roster.toml:1: tenants.acme.encore.subscription_key: missing; add it to [tenants.acme.encore]: write subscription_key = { env = \"VARIABLE\" } or subscription_key = { file = \"path\" } (mode 0600)"),
        ("[tenants.acme.encore]\nsubscription_key = { env = \"K\", file = \"f\" }\n",
         "roster.toml:2: tenants.acme.encore.subscription_key: names both env and file; keep one of them"),
        ("[tenants.acme.allthenticate]\nbase_url = \"api.allthenticate.com\"\napi_key = { env = \"K\" }\n",
         "roster.toml:2: tenants.acme.allthenticate.base_url: 'api.allthenticate.com' is not an http(s) URL; write a scheme and host, like base_url = \"https://host\""),
        ("[tenants.acme.encore]\nbase_url = \"https://ada:s3cret@encore.example.com/api\"\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:2: tenants.acme.encore.base_url: a URL cannot carry a user or password; write it as https://encore.example.com/api, and keep credentials in the vendor's secret keys"),
        ("[tenants.acme.encore]\nbase_url = \"htps://ada:s3cret@encore.example.com/api?key=s3cret\"\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:2: tenants.acme.encore.base_url: 'htps://…@encore.example.com/api…' is not an http(s) URL; write a scheme and host, like base_url = \"https://host\""),
        ("[tenants.acme.encore]\nbase_url = \"https://encore.example.com/api/?key=s3cret\"\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:2: tenants.acme.encore.base_url: a base URL cannot carry a query or fragment (from its '?' or '#'); write it as https://encore.example.com/api/"),
        ("[tenants.acme.encore]\nbase_url = \"https://encore.example.com#top\"\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:2: tenants.acme.encore.base_url: a base URL cannot carry a query or fragment (from its '?' or '#'); write it as https://encore.example.com"),
        ("[tenants.acme.guardant]\ntoken = { env = \"K\" }\nauth_header = \"X Auth\"\n",
         "roster.toml:3: tenants.acme.guardant.auth_header: 'X Auth' is not an HTTP header name; use letters, digits and dashes, like \"Authorization\""),
        ("[tenants.acme.active911]\nrefresh_token = { env = \"K\" }\nrequests_per_minute = 0\n",
         "roster.toml:3: tenants.acme.active911.requests_per_minute: 0 is out of range; use a value from 1 to 10000"),
        ("[tenants.acme]\nmax_changes = 0\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:2: tenants.acme.max_changes: 0 is out of range; use a value from 1 to 10000000"),
        ("[tenants.acme.active911]\nrefresh_token = { env = \"K\" }\nreserve = 1.5\n",
         "roster.toml:3: tenants.acme.active911.reserve: 1.5 is out of range; use a value from 0.0 to 0.9"),
        ("[tenants.acme.active911]\nrefresh_token = { env = \"K\" }\nrate_limit = \"25\"\n",
         "roster.toml:3: tenants.acme.active911.rate_limit: expected REQUESTS/WINDOW such as 25/60s, got '25'; write rate_limit = \"25/60s\""),
        ("default_tenant = \"acm\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: default_tenant: no tenant named 'acm'; did you mean 'acme'? (use one of: acme)"),
        ("x = 1\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: x: unknown key; remove it; the top level takes default_tenant, tenants, journal, journal_password, journal_keep, plugins, schedules, proxy, proxy_password, no_proxy"),
        ("journal_keep = \"12m\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: journal_keep: expected an age in days or hours, got \"12m\"; write journal_keep = \"400d\" (or \"36h\")"),
        ("journal_keep = \"99999999999999999999d\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: journal_keep: \"99999999999999999999d\" is more than a hundred years; write at most journal_keep = \"36500d\""),
        ("journal_keep = 400\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: journal_keep: expected a string, got an integer; write journal_keep = \"400d\""),
        ("proxy = \"http://ops:hunter2@proxy.example.com:3128\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: proxy: the address holds a password; write proxy = \"http://USER@HOST:PORT\" and keep the password in proxy_password = { env = \"...\" } or { file = \"...\" }"),
        ("journal = \"postgres://roster:hunter2@db.example.com:5432/roster\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: journal: the address holds a password; write journal = \"postgres://USER@HOST:PORT/DATABASE\" and keep the password in journal_password = { env = \"...\" } or { file = \"...\" }"),
        ("proxy = \"socks5://proxy.example.com:1080\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: proxy: the address is a socks5:// proxy; Roster speaks to an HTTP proxy (http://HOST:PORT), which reaches HTTPS vendors with CONNECT; write proxy = \"http://HOST:PORT\""),
        ("no_proxy = [\"vendor.internal\"]\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: no_proxy: is set, but proxy is not; add proxy = \"http://HOST:PORT\", or remove no_proxy"),
        ("proxy = \"http://p:3128\"\nno_proxy = \"vendor.internal\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:2: no_proxy: expected a list of host names; write no_proxy = [\"vendor.internal\", \".corp.example.com\"]"),
        ("journal = \"mysql://roster:s3cret@db/roster\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: journal: 'mysql://roster@db/roster' is not a journal Roster can use; give a file path, or postgres://USER@HOST:PORT/DATABASE"),
        ("journal = \"mysql://db/roster\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: journal: 'mysql://db/roster' is not a journal Roster can use; give a file path, or postgres://USER@HOST:PORT/DATABASE"),
        ("journal = \"runs.sqlite\"\njournal_password = { env = \"PW\" }\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:2: journal_password: a password applies only to a PostgreSQL journal, and journal is a file (SQLite, protected by its mode 0600); remove journal_password, or set journal = \"postgres://USER@HOST:PORT/DATABASE\""),
        ("default_tenant = \"acme\"\n",
         "roster.toml: tenants: no tenant is configured; add a [tenants.NAME.VENDOR] section (see the README), or run without a configuration for the emulator"),
        ("[tenants.acme]\n",
         "roster.toml:1: tenants.acme: configures no vendor; add a [tenants.acme.VENDOR] section, VENDOR one of: activeconnect, encore, guardant, active911, allthenticate"),
        ("tenants = 3\n",
         "roster.toml:1: tenants: expected a table, got an integer; write it as [tenants]"),
        ("[tenants.acme.activeconnect]\napplication_id = \"..\"\napplication_secret = { env = \"K\" }\n",
         "roster.toml:2: tenants.acme.activeconnect.application_id: is \"..\": a URL reads it as a step along its path, not as a name; write application_id = \"APP123\""),
        ("[tenants.acme.active911]\nrefresh_token = { env = \"K\" }\nagency = \".\"\n",
         "roster.toml:3: tenants.acme.active911.agency: is \".\": a URL reads it as a step along its path, not as a name; write agency = \"3e597c4a-877f-4c62-9f62-21e8635907e2\""),
        // A port past 65535 trapped where the connection was made.
        ("[tenants.acme.encore]\nbase_url = \"http://127.0.0.1:99999/encore\"\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:2: tenants.acme.encore.base_url: the port 99999 is not from 1 to 65535; write base_url = \"http://127.0.0.1:PORT/encore\""),
        ("proxy = \"http://proxy.example.com:70000\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n",
         "roster.toml:1: proxy: the address has port 70000, which is not from 1 to 65535; write proxy = \"http://HOST:PORT\""),
        ("[tenants.acme.encore\nsubscription_key = 1\n",
         "roster.toml:1: TOML syntax error: Error while parsing table header: expected ']', saw '\\n'; correct the syntax at column 21 (see https://toml.io)"),
    ])
    func eachMistakeIsOneLine(text: String, expected: String) throws {
        let folder = try ConfigurationFolder()
        try folder.write(text)
        let error = configurationError { () throws(ConfigurationError) in try RosterConfiguration.load(path: folder.configPath) }
        let message = error?.description.replacingOccurrences(of: folder.configPath, with: "roster.toml")
        #expect(message == expected)
        #expect(message?.contains("\n") == false)
        #expect(message?.contains("hunter2") == false)
    }

    /// `proxy` (its password a secret) and `no_proxy` reach the connection's requests; without
    /// `proxy`, the environment's `https_proxy` does.
    @Test func aConfiguredProxyReachesTheConnection() async throws {
        let folder = try ConfigurationFolder()
        let vendor = "[tenants.acme.encore]\nbase_url = \"https://encore.example.com\"\nsubscription_key = { env = \"K\" }\n"
        try folder.write("proxy = \"http://ops@proxy.example.com:3128\"\nproxy_password = { env = \"PROXY_PW\" }\nno_proxy = [\".internal\"]\n" + vendor)
        let environment = ["K": "key", "PROXY_PW": "pw", "https_proxy": "http://other:1"]
        let connection = try await VendorConnection.open(configuration: folder.configPath, tenant: nil, useEmulator: false, environment: environment) { _ in }
        let proxy = try #require(connection.http.proxies?.https)
        #expect(proxy == (try VendorProxy(url: "http://ops@proxy.example.com:3128", bypass: [".internal"])).authorized(password: "pw"))
        #expect(connection.http.proxies?.http == proxy)

        try folder.write(vendor)
        let fromEnvironment = try await VendorConnection.open(configuration: folder.configPath, tenant: nil, useEmulator: false, environment: environment) { _ in }
        #expect(fromEnvironment.http.proxies?.https?.shown == "http://other:1")
        #expect(fromEnvironment.http.proxies?.http == nil)
        let direct = try await VendorConnection.open(configuration: folder.configPath, tenant: nil, useEmulator: false, environment: ["K": "key"]) { _ in }
        #expect(direct.http.proxies == nil)
        // The built-in emulator is never reached through a proxy.
        let emulator = try await VendorConnection.open(configuration: nil, tenant: nil, useEmulator: true, environment: environment) { _ in }
        #expect(emulator.http.proxies == nil)
        await emulator.close()
    }

    @Test func secretProblemsNameTheKeyAndTheFix() throws {
        let folder = try ConfigurationFolder()
        let path = try folder.write("""
            [tenants.acme.encore]
            subscription_key = { env = "ACME_ENCORE_KEY" }
            [tenants.acme.guardant]
            token = { file = "secrets/guardant.token" }

            """)
        let configuration = try RosterConfiguration.load(path: path)
        let resolve = { (environment: [String: String]) in
            configurationError { () throws(ConfigurationError) in try configuration.tenant(named: nil, environment: environment) }?
                .description.replacingOccurrences(of: folder.url.path, with: "DIR")
        }
        #expect(resolve([:]) == "DIR/roster.toml:2: tenants.acme.encore.subscription_key: environment variable ACME_ENCORE_KEY is not set; export ACME_ENCORE_KEY, or use { file = \"path\" }")
        #expect(resolve(["ACME_ENCORE_KEY": ""])?.contains("is not set") == true)

        let environment = ["ACME_ENCORE_KEY": "k"]
        #expect(resolve(environment) == "DIR/roster.toml:4: tenants.acme.guardant.token: secret file DIR/secrets/guardant.token does not exist; write the secret to it and run chmod 600 DIR/secrets/guardant.token")
        try folder.writeSecret("secrets/guardant.token", "guardant-hunter2", mode: 0o644)
        #expect(resolve(environment) == "DIR/roster.toml:4: tenants.acme.guardant.token: secret file DIR/secrets/guardant.token is readable by group or others (mode 644); run chmod 600 DIR/secrets/guardant.token")
        try folder.writeSecret("secrets/guardant.token", "guardant-hunter2", mode: 0o640)
        #expect(resolve(environment)?.contains("(mode 640)") == true)
        try folder.writeSecret("secrets/guardant.token", "\n", mode: 0o600)
        #expect(resolve(environment)?.contains("is empty; write the secret into it") == true)
        // Sent with its bytes replaced, a Latin-1 key would only fail later, as a 401.
        try Data("hunter".utf8 + [0xE9]).write(to: folder.url.appendingPathComponent("secrets/guardant.token"))
        #expect(resolve(environment) == "DIR/roster.toml:4: tenants.acme.guardant.token: secret file DIR/secrets/guardant.token is not UTF-8 text; write the secret into it as text")
        try folder.writeSecret("secrets/guardant.token", "guardant-hunter2\n", mode: 0o400)
        #expect(resolve(environment) == nil)
        #expect(try configuration.tenant(named: nil, environment: environment)[GuardantConfiguration.self]?.token.secret.reveal() == "guardant-hunter2")
    }

    /// A secret pasted where the variable's name goes is refused without being echoed.
    @Test func anEnvThatIsNoVariableNameIsNotEchoed() throws {
        let folder = try ConfigurationFolder()
        for (name, valid) in [("3f9a+b/c==", false), ("sk-live-12ab", false), ("ACME_KEY", true), ("_k2", true), ("9KEY", false), ("ÉKEY", false)] {
            let path = try folder.write("[tenants.acme.encore]\nsubscription_key = { env = \"\(name)\" }\n")
            let error = configurationError { () throws(ConfigurationError) in _ = try RosterConfiguration.load(path: path) }
            if valid {
                #expect(error == nil, "\(name)")
            } else {
                #expect(error?.description.replacingOccurrences(of: folder.url.path, with: "DIR")
                    == "DIR/roster.toml:2: tenants.acme.encore.subscription_key.env: is not an environment variable's name (letters, digits and _, not starting with a digit); write the variable's name, like env = \"ACME_ENCORE_KEY\"; if that was the secret itself, export it under a name instead", "\(name)")
                #expect(error?.description.contains(name) == false)
            }
        }
    }

    @Test func choosingATenant() throws {
        let folder = try ConfigurationFolder()
        let two = try RosterConfiguration.load(path: try folder.write("""
            [tenants.acme.encore]
            subscription_key = { env = "K" }
            [tenants.beta.encore]
            subscription_key = { env = "K" }

            """))
        let environment = ["K": "key"]
        let choose = { (name: String?) in
            configurationError { () throws(ConfigurationError) in try two.tenant(named: name, environment: environment) }?
                .description.replacingOccurrences(of: folder.configPath, with: "roster.toml")
        }
        #expect(choose(nil) == "roster.toml: default_tenant: several tenants and no default; pass --tenant (one of: acme, beta) or set default_tenant")
        #expect(choose("gamma") == "roster.toml: tenants: no tenant named 'gamma'; pass --tenant with one of: acme, beta")
        #expect(choose("bta") == "roster.toml: tenants: no tenant named 'bta'; did you mean 'beta'? (pass --tenant with one of: acme, beta)")
        #expect(choose("ac") == "roster.toml: tenants: no tenant named 'ac'; pass --tenant with one of: acme, beta") // too short to guess
        #expect(try two.tenant(named: "beta", environment: environment).name == "beta")

        let one = try RosterConfiguration.load(path: try folder.write("[tenants.solo.encore]\nsubscription_key = { env = \"K\" }\n"))
        #expect(try one.tenant(named: nil, environment: environment).name == "solo")
    }

    @Test func lookupOrder() throws {
        let work = try ConfigurationFolder()
        let xdg = try ConfigurationFolder()
        let home = try ConfigurationFolder()
        let environment = ["XDG_CONFIG_HOME": xdg.url.path, "HOME": home.url.path]
        let find = { (explicit: String?, environment: [String: String]) in
            try ConfigurationLocation.find(explicit: explicit, currentDirectory: work.url.path, environment: environment)
        }
        #expect(try find(nil, environment) == nil)

        let homeConfig = home.url.appendingPathComponent(".config/roster/roster.toml").path
        try FileManager.default.createDirectory(atPath: (homeConfig as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: homeConfig, contents: Data())
        #expect(try find(nil, ["HOME": home.url.path]) == homeConfig)

        let xdgConfig = xdg.url.appendingPathComponent("roster/roster.toml").path
        try FileManager.default.createDirectory(atPath: (xdgConfig as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: xdgConfig, contents: Data())
        #expect(try find(nil, environment) == xdgConfig)

        try work.write("")
        #expect(try find(nil, environment) == work.configPath)

        let explicit = xdg.url.appendingPathComponent("other.toml").path
        _ = FileManager.default.createFile(atPath: explicit, contents: Data())
        #expect(try find(explicit, environment) == explicit)

        let missing = configurationError { () throws(ConfigurationError) in try ConfigurationLocation.find(explicit: "nope.toml", currentDirectory: work.url.path) }
        #expect(missing?.description == "nope.toml: no such configuration file (from --config); check the path, or run `roster emulator --write-config nope.toml` to write one for the emulator")
    }

    @Test func lineLookupFollowsHeadersDottedKeysAndInlineTables() throws {
        let document = try ConfigurationDocument(text: """
            # comment
            [tenants.acme]
            encore.subscription_key = { env = "K" }

            [tenants."acme corp".guardant]
            token = { file = "t" }
            """, file: "x.toml", folder: URL(fileURLWithPath: "/"))
        #expect(document.line(of: ["tenants", "acme"]) == 2)
        #expect(document.line(of: ["tenants", "acme", "encore", "subscription_key"]) == 3)
        #expect(document.line(of: ["tenants", "acme", "encore", "subscription_key", "env"]) == 3)
        // A table written only through what it holds: the first line inside it.
        #expect(document.line(of: ["tenants", "acme", "encore"]) == 3)
        #expect(document.line(of: ["tenants"]) == 2)
        #expect(document.line(of: ["tenants", "acme corp"]) == 5)
        #expect(document.line(of: ["tenants", "acme corp", "guardant", "token"]) == 6)
        #expect(document.line(of: ["nowhere"]) == nil)
    }
}
