/// HostileServerTests.swift: a vendor endpoint that redirects elsewhere, echoes the request's
/// credentials back, asks for long waits or never answers: no credential leaves for another
/// host or comes back in an error, Retry-After is honoured in full but never past the run's
/// deadline, and a request gives up at its timeout.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import Synchronization
import Testing
@testable import Vendors

@Suite struct HostileServerTests {
    static let fast = VendorHTTP(timeout: .seconds(60), retry: RetryPolicy(attempts: 3, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(50)))
    static let newUser: EncoreUser = {
        var user = EncoreUser()
        user.userName = "n"
        return user
    }()

    @Test func aVendorThatNeverAnswersTimesOut() async throws {
        // A socket that listens and never accepts: the kernel completes the connection, the
        // request is sent, and no answer ever comes.
        let listener = try LoopbackListener()
        defer { listener.close() }
        let url = "http://127.0.0.1:\(listener.port)/users/v1/users/1"

        let http = VendorHTTP(timeout: .milliseconds(300), retry: .none)
        let request = VendorRequest(vendor: .encore, operation: "get_user", method: .GET, url: url, idempotent: true)
        let started = ContinuousClock.now
        let attempt = Task { () async -> VendorError? in
            do throws(VendorError) {
                _ = try await http.send(request)
                return nil
            } catch {
                return error
            }
        }
        // Should the timeout never fire, the test fails instead of hanging.
        let guardrail = Task {
            try await Task.sleep(for: .seconds(20))
            attempt.cancel()
        }
        defer { guardrail.cancel() }
        let error = await attempt.value
        #expect(error?.message == "timed out waiting for the answer")
        #expect(error?.outcomeUnknown == true) // the request went out
        #expect(error?.unreachable == false && error?.vendorWide == false) // the host took it
        #expect(error?.retryable == true)
        #expect(ContinuousClock.now - started >= .milliseconds(300))
    }

    /// A port nobody listens on refuses at once: each attempt fails then, is traced, and is
    /// tried again by the policy, a write too, since nothing was sent. (The pool's own retry
    /// kept trying for its 10 s connect timeout, each attempt, and a write was never tried
    /// again; with a request timeout under 10 s, it even ended as "timed out waiting for the
    /// answer", its outcome unknown.) The timeout here is long, so that a loaded machine
    /// cannot turn a refusal into a timeout.
    @Test(arguments: [true, false])
    func aRefusedConnectionFailsAtOnceAndIsTriedAgain(idempotent: Bool) async throws {
        let refusing = try LoopbackListener(listening: false)
        defer { refusing.close() }
        let lines = Mutex<[String]>([])
        let http = VendorHTTP(timeout: .seconds(60), retry: Self.fast.retry).tracing { line in lines.withLock { $0.append(line) } }
        let request = VendorRequest(vendor: .encore, operation: "create_user", method: idempotent ? .GET : .POST,
                                    url: "http://127.0.0.1:\(refusing.port)/users/v1/users", idempotent: idempotent)
        let error = await vendorError { () async throws(VendorError) in _ = try await http.send(request) }
        #expect(error?.message == "could not connect to 127.0.0.1:\(refusing.port) (connection refused)", "\(String(describing: error))")
        #expect(error?.outcomeUnknown == false)
        #expect(error?.unreachable == true && error?.vendorWide == true) // a bulk run stops starting rows on it
        let traced = lines.withLock { $0 }
        #expect(traced.count == 3, "\(traced)")
        #expect(traced.allSatisfy { $0.contains("-> could not connect to 127.0.0.1:\(refusing.port) (connection refused) in") }, "\(traced)")
        #expect(traced.dropLast().allSatisfy { $0.hasSuffix("; retrying: nothing was sent") }, "\(traced)")
    }

    /// A host that drops a connection's packets (a firewall, a wrong address): an attempt waits
    /// its whole connect timeout, and the request is tried once more, not at every attempt
    /// (a read took four of them, 41 s, to fail).
    @Test func aConnectionThatTimesOutIsTriedOnceMore() async throws {
        let full = try LoopbackListener(backlog: 0)
        let fillers = full.fillBacklog()
        defer {
            fillers.forEach { _ = Glibc.close($0) }
            full.close()
        }
        try await Task.sleep(for: .milliseconds(100)) // the fillers' handshakes
        var configuration = VendorHTTP.clientConfiguration()
        configuration.timeout.connect = .milliseconds(400)
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let lines = Mutex<[String]>([])
        let http = VendorHTTP(client: client, timeout: .seconds(60), retry: RetryPolicy(attempts: 4, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(10)))
            .tracing { line in lines.withLock { $0.append(line) } }
        let request = VendorRequest(vendor: .encore, operation: "get_user", method: .GET,
                                    url: "http://127.0.0.1:\(full.port)/users/v1/users/1", idempotent: true)
        let error = await vendorError { () async throws(VendorError) in _ = try await http.send(request) }
        try await client.shutdown()
        #expect(error?.message == "could not connect to 127.0.0.1:\(full.port) (timed out)", "\(String(describing: error))")
        #expect(error?.outcomeUnknown == false && error?.retryable == true && error?.unreachable == true)
        let traced = lines.withLock { $0 }
        #expect(traced.count == 2, "\(traced)")
        #expect(traced.first?.hasSuffix("(attempt 1); retrying: nothing was sent") == true, "\(traced)")
    }

    /// https to a server that speaks plain HTTP: the handshake fails, the message says so
    /// in words, and nothing was sent.
    @Test func aFailedTLSHandshakeSaysWhy() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            let http = VendorHTTP(timeout: .seconds(60), retry: .none)
            let url = server.origin.replacingOccurrences(of: "http://", with: "https://") + "/users/v1/users"
            let request = VendorRequest(vendor: .encore, operation: "create_user", method: .POST, url: url, idempotent: false)
            let error = await vendorError { () async throws(VendorError) in _ = try await http.send(request) }
            let port = server.origin.split(separator: ":").last.map(String.init) ?? ""
            #expect(error?.message == "could not connect to 127.0.0.1:\(port) (TLS handshake failed: wrong version number)", "\(String(describing: error))")
            #expect(error?.outcomeUnknown == false && error?.unreachable == true)
            #expect(server.requests.isEmpty)
        }
    }

    /// A refusal is one line: a web page (a base_url that reaches a web server, not the API)
    /// is named, not quoted; other text has its line breaks folded. A page answered with 200
    /// where the API's JSON was expected is named too.
    @Test func aRefusalsTextIsOneLine() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            server.answer(
                ScriptedResponse(status: 404, body: "<!DOCTYPE HTML>\n<html>\n<body>Not Found</body>\n</html>\n", headers: ["Content-Type": "text/html"]),
                ScriptedResponse(status: 404, body: "\n  <html><body>no type given</body></html>", headers: ["Content-Type": "application/octet-stream"]),
                ScriptedResponse(status: 500, body: "upstream failed:\n  database\tunavailable\n", headers: ["Content-Type": "text/plain"]),
                // A 200 that is a page (a captive portal's, say), not the user asked for.
                ScriptedResponse(status: 200, body: "<html><body>Please log in</body></html>", headers: ["Content-Type": "text/html"]),
                ScriptedResponse(status: 200, body: "not json", headers: ["Content-Type": "application/json"]))
            let client = EncoreClient(EncoreConfiguration(baseURL: server.origin, subscriptionKey: Secret("k")), http: VendorHTTP(timeout: .seconds(60), retry: .none))
            for expected in ["the answer is a web page, not encore's API (check base_url)", "the answer is a web page, not encore's API (check base_url)",
                             "upstream failed: database unavailable", "the answer is a web page, not encore's API (check base_url)",
                             "unexpected response body (8 bytes)"] {
                let error = await vendorError { () async throws(VendorError) in _ = try await client.getUser(.internal(1)) }
                #expect(error?.message == expected, "\(String(describing: error))")
            }
        }
    }

    @Test(arguments: [301, 302, 307, 308])
    func aRedirectIsNotFollowed(status: Int) async throws {
        try await withRecorder { (elsewhere: RecordingServer) async throws in
            try await withRecorder { (vendor: RecordingServer) async throws in
                vendor.answer(ScriptedResponse(status: status, body: "", headers: ["Location": elsewhere.origin.replacingOccurrences(of: "127.0.0.1", with: "localhost") + "/steal"]))
                let client = EncoreClient(EncoreConfiguration(baseURL: vendor.origin, subscriptionKey: Secret("encore-key-hunter2")), http: Self.fast)
                let error = await vendorError { () async throws(VendorError) in _ = try await client.getUser(.internal(1)) }
                #expect(error?.status == status)
                #expect(error?.message.contains("redirected to localhost") == true, "\(String(describing: error))")
                #expect(error?.retryable == false)
                #expect(vendor.requests.count == 1) // not retried either
                #expect(elsewhere.requests.isEmpty)
            }
        }
    }

    @Test func echoedCredentialsAreScrubbedFromErrors() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            // The answer repeats every credential the clients send, as a header-echoing server would.
            let secrets = ["encore-key-hunter2", "guardant-token-hunter2", "allth-key-hunter2", "a911-refresh-hunter2", "a911-access-hunter2"]
            let echo = secrets.joined(separator: " | ")
            let http = VendorHTTP(timeout: .seconds(60), retry: .none)
            let encore = EncoreClient(EncoreConfiguration(baseURL: server.origin, subscriptionKey: Secret(secrets[0])), http: http)
            let guardant = GuardantClient(GuardantConfiguration(baseURL: server.origin, token: HeaderCredential(Secret(secrets[1]))), http: http)
            let allthenticate = AllthenticateClient(AllthenticateConfiguration(baseURL: server.origin, apiKey: HeaderCredential(Secret(secrets[2]))), http: http)
            let active911 = Active911Client(Active911Configuration(baseURL: server.origin, tokenURL: server.origin, refreshToken: Secret(secrets[3]),
                                                                   agency: "ag", requestsPerWindow: 100, window: .seconds(1)), http: http)
            server.answer(
                ScriptedResponse(status: 400, body: "you sent: " + echo, headers: ["Content-Type": "text/plain"]),
                ScriptedResponse(status: 403, body: #"{"code": 7, "message": "headers: \#(echo)"}"#),
                ScriptedResponse(status: 400, body: #"{"error": "bad key \#(echo)"}"#),
                // Active911: a first answer adopts an access token; the second echoes it.
                ScriptedResponse(status: 200, body: #"{"success": true, "result": [], "token": "\#(secrets[4])"}"#),
                ScriptedResponse(status: 401, body: #"{"success": false, "result": null, "message": "denied: \#(echo)", "code": 401}"#))
            let failures = [
                await vendorError { () async throws(VendorError) in _ = try await encore.getUser(.internal(1)) },
                await vendorError { () async throws(VendorError) in _ = try await guardant.listRoles() },
                await vendorError { () async throws(VendorError) in _ = try await allthenticate.invites() },
            ]
            _ = try await active911.agencies()
            let a911 = await vendorError { () async throws(VendorError) in _ = try await active911.agencies() }
            // Each client scrubs what its request carried (the Lua boundary scrubs the rest of
            // the tenant's secrets: SecretsInLuaTests).
            let carried = [[secrets[0]], [secrets[1]], [secrets[2]], [secrets[3], secrets[4]]]
            for (failure, own) in zip(failures + [a911], carried) {
                let text = try #require(failure).description
                #expect(text.contains("<redacted>"), "\(text)")
                for secret in own { #expect(!text.contains(secret), "\(text)") }
            }
        }
    }

    @Test func theScrubberFindsEscapedAndOverlappingForms() {
        let scrubber = SecretScrubber(["ab/cd\"ef", "key-1234", "key-12345678", "xy"])
        #expect(scrubber.scrub(#"{"m": "ab\/cd\"ef and ab/cd\"ef"}"#) == #"{"m": "<redacted> and <redacted>"}"#)
        #expect(scrubber.scrub("key-12345678 key-1234") == "<redacted> <redacted>")
        #expect(scrubber.scrub("xy stays: too short to be a credential") == "xy stays: too short to be a credential")
        let error = VendorError(vendor: .encore, operation: "get_user", status: 400, code: "key-1234", message: "bad key-1234", retryable: false)
        #expect(error.scrubbed(by: scrubber).description == "encore.get_user: HTTP 400 (code <redacted>): bad <redacted>")
    }

    @Test func retryAfterIsHonouredInFull() {
        let policy = RetryPolicy()
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(60)) == .seconds(60))
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil) <= .milliseconds(400))
    }

    @Test func aCreatingPostIsRetriedAfterA429() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            server.answer(
                ScriptedResponse(status: 429, body: "", headers: ["Retry-After": "0.2"]),
                ScriptedResponse(status: 200, body: #"{"Id": 77}"#))
            let client = EncoreClient(EncoreConfiguration(baseURL: server.origin, subscriptionKey: Secret("k")), http: Self.fast)
            let started = ContinuousClock.now
            #expect(try await client.createUser(Self.newUser) == 77)
            #expect(ContinuousClock.now - started >= .milliseconds(200))
            #expect(server.requests.map(\.method) == ["POST", "POST"])
        }
    }

    @Test func aCreatingPostIsNotRetriedAfterA503() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            server.answer(ScriptedResponse(status: 503, body: "busy"))
            let client = EncoreClient(EncoreConfiguration(baseURL: server.origin, subscriptionKey: Secret("k")), http: Self.fast)
            let error = await vendorError { () async throws(VendorError) in _ = try await client.createUser(Self.newUser) }
            #expect(error?.status == 503)
            #expect(server.requests.count == 1) // it may have been processed
        }
    }

    @Test func aWaitPastTheDeadlineFailsAtOnce() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            server.answer(ScriptedResponse(status: 429, body: "{}", headers: ["Retry-After": "600"]))
            let client = EncoreClient(EncoreConfiguration(baseURL: server.origin, subscriptionKey: Secret("k")), http: Self.fast)
            let started = ContinuousClock.now
            // The deadline is far enough away that a client waiting for it takes 120 s, while
            // one failing at once stays well under half of that even on a 2-core machine a
            // full suite loads (one request took 7.5 s there).
            let error: VendorError? = await VendorDeadline.$current.withValue(ContinuousClock.now + .seconds(120.5)) {
                await vendorError { () async throws(VendorError) in _ = try await client.getUser(.internal(1)) }
            }
            #expect(ContinuousClock.now - started < .seconds(60))
            let message = error?.message ?? ""
            // What is left depends on how long the request took on a loaded machine: up to 120 s.
            let left = (try? Regex("^encore asks to wait 600 s; ([0-9]+) s of --timeout are left$").wholeMatch(in: message))?
                .flatMap { Int(String($0.output[1].substring ?? "")) }
            #expect(left.map { (60...120).contains($0) } == true, "\(message)")
            #expect(server.requests.count == 1)
        }
    }
}
