/// VendorHTTP.swift: the one HTTP client every vendor client shares (connection pooling),
/// with timeouts, retries only where a retry is safe, no redirects (a credential must never
/// follow one to another host), and error bodies scrubbed of the credentials sent.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A request as a vendor client builds it.
public struct VendorRequest: Sendable {
    public var vendor: Vendor
    public var operation: String
    public var method: HTTPMethod
    public var url: String
    public var headers: [(String, String)] = []
    public var body: [UInt8]?
    /// Reads, and PUT/DELETE that set a state: safe to send again. Never a creating POST.
    public var idempotent: Bool
    /// The secret values this request carries (keys, tokens): an answer that echoes one
    /// has it replaced by `<redacted>` before any client reads the answer's text.
    public var credentials: [String] = []
}

/// What came back.
public struct VendorResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// When and how often a safe request is tried again.
public struct RetryPolicy: Sendable, Equatable {
    public var attempts: Int
    public var baseDelay: Duration
    public var maximumDelay: Duration

    public init(attempts: Int = 4, baseDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(30)) {
        self.attempts = attempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// No retries.
    public static let none = RetryPolicy(attempts: 1)

    /// Full jitter: a random delay up to base × 2^attempt, capped. A vendor's `Retry-After`
    /// is honoured in full: waiting less only earns another refusal.
    func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration {
        if let retryAfter { return retryAfter }
        let ceiling = min(baseDelay * (1 << min(attempt, 16)), maximumDelay)
        return ceiling * Double.random(in: 0...1)
    }
}

/// The instant by which the current run must end (its `--timeout`), as a task-local value the
/// run sets around its vendor calls: a wait the vendor asks for that would pass it fails at
/// once instead of sleeping into the limit.
public enum VendorDeadline {
    @TaskLocal public static var current: ContinuousClock.Instant?
}

/// Sends vendor requests over one pooled HTTP client.
public final class VendorHTTP: Sendable {
    /// The process-wide HTTP client: one pool, up to 64 connections per host, so that
    /// `parallel.map` fan-out is not queued behind a handful of connections; redirects are
    /// never followed (vendor APIs do not redirect, and a credential must not go elsewhere);
    /// no tracing spans (nothing collects them, and even the no-op tracer's spans formatted
    /// a request's method and URL and set eight attributes on every call).
    public static let vendorClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration())

    /// The settings of every vendor client (`vendorClient`, and one per proxy).
    static func clientConfiguration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        configuration.redirectConfiguration = .disallow
        configuration.tracing.tracer = nil
        // A connection that cannot be made fails its requests at once, to be retried by
        // `send`'s own policy (traced, paced, bounded): the pool's own retry kept trying for
        // its whole connect timeout, so a vendor down or a wrong port took 10 s an attempt.
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    /// The process-wide sender over `vendorClient`.
    public static let shared = VendorHTTP()

    /// The pooled client, made on the first request: a run that calls no vendor starts no
    /// event loop threads.
    private let makeClient: @Sendable () -> HTTPClient
    var client: HTTPClient { makeClient() }
    /// Awaited before every request (the first one starts the in-process emulator, say); it
    /// throws the request's error.
    let gate: (@Sendable (VendorRequest) async throws(VendorError) -> Void)?
    /// The longest one attempt may take, connecting included (kept by `RequestDeadlines`).
    public let timeout: Duration
    public let retry: RetryPolicy
    /// Where rate-limited vendors count their requests with every Roster process on the
    /// machine (none: in this process only).
    public let rateLedger: (any RateLedger)?
    /// Gets one line per attempt (`--trace`): method, URL, status, duration, attempt, why
    /// retried. Never a header or a body, where credentials and passwords travel.
    public let trace: (@Sendable (String) -> Void)?
    /// The proxies requests go through (none: every vendor is reached directly).
    public let proxies: VendorProxies?

    /// `client` must not follow redirects (`vendorClient` does not); a 3xx it returns is
    /// refused here either way.
    public convenience init(client: HTTPClient, timeout: Duration = .seconds(30), retry: RetryPolicy = RetryPolicy(),
                            rateLedger: (any RateLedger)? = nil, trace: (@Sendable (String) -> Void)? = nil) {
        self.init(makeClient: { client }, gate: nil, timeout: timeout, retry: retry, rateLedger: rateLedger, trace: trace, proxies: nil)
    }

    /// Over `vendorClient`, made when the first request is sent.
    public convenience init(timeout: Duration = .seconds(30), retry: RetryPolicy = RetryPolicy(),
                            rateLedger: (any RateLedger)? = nil, trace: (@Sendable (String) -> Void)? = nil) {
        self.init(makeClient: { VendorHTTP.vendorClient }, gate: nil, timeout: timeout, retry: retry, rateLedger: rateLedger, trace: trace, proxies: nil)
    }

    private init(makeClient: @escaping @Sendable () -> HTTPClient, gate: (@Sendable (VendorRequest) async throws(VendorError) -> Void)?, timeout: Duration,
                 retry: RetryPolicy, rateLedger: (any RateLedger)?, trace: (@Sendable (String) -> Void)?, proxies: VendorProxies?) {
        self.makeClient = makeClient
        self.gate = gate
        self.timeout = timeout
        self.retry = retry
        self.rateLedger = rateLedger
        self.trace = trace
        self.proxies = proxies
    }

    /// The same sender, going through `proxies` (nil: directly).
    public func proxied(by proxies: VendorProxies?) -> VendorHTTP {
        VendorHTTP(makeClient: makeClient, gate: gate, timeout: timeout, retry: retry, rateLedger: rateLedger, trace: trace, proxies: proxies)
    }

    /// The same sender, counting rate-limited requests in `ledger`.
    public func sharing(_ ledger: any RateLedger) -> VendorHTTP {
        VendorHTTP(makeClient: makeClient, gate: gate, timeout: timeout, retry: retry, rateLedger: ledger, trace: trace, proxies: proxies)
    }

    /// The same sender, tracing every attempt to `sink`.
    public func tracing(_ sink: @escaping @Sendable (String) -> Void) -> VendorHTTP {
        VendorHTTP(makeClient: makeClient, gate: gate, timeout: timeout, retry: retry, rateLedger: rateLedger, trace: sink, proxies: proxies)
    }

    /// The same sender, awaiting `gate` before each request (a failure is the request's).
    public func waiting(for gate: @escaping @Sendable (VendorRequest) async throws(VendorError) -> Void) -> VendorHTTP {
        VendorHTTP(makeClient: makeClient, gate: gate, timeout: timeout, retry: retry, rateLedger: rateLedger, trace: trace, proxies: proxies)
    }

    /// Sends `request`, retrying a safe one on 429, 502, 503, 504 and an answer that did not
    /// come, and any request after a 429 (the vendor refused it unprocessed) or whose
    /// connection could not be made (nothing was sent). A 3xx is refused: vendor APIs
    /// do not redirect. `prepare` runs before every attempt (Activeconnect signs each afresh).
    public func send(_ request: VendorRequest, prepare: @Sendable (inout VendorRequest) -> Void = { _ in }) async throws(VendorError) -> VendorResponse {
        if let gate { try await gate(request) }
        let attempts = max(1, retry.attempts)
        var attempt = 0, connectTimeouts = 0
        while true {
            attempt += 1
            var prepared = request
            VendorCallProfile.shared.measure(.encode) { prepare(&prepared) }
            let started = ContinuousClock.now
            let outcome = await once(prepared)
            VendorCallStats.shared.requested(request.vendor, status: try? outcome.get().status)
            let retryAfter: Duration?
            let trace = self.trace.map { sink in { (answer: String, next: String?) in
                sink(Self.traceLine(prepared, answer: answer, duration: .now - started, attempt: attempt, next: next))
            } }
            switch outcome {
            case .success(let response):
                if (300..<400).contains(response.status) {
                    trace?("\(response.status), not followed", nil)
                    throw Self.redirected(response, request)
                }
                let safe = request.idempotent || response.status == 429
                guard Self.retryableStatuses.contains(response.status), safe, attempt < attempts else {
                    trace?("\(response.status), \(response.body.count) bytes", nil)
                    return response
                }
                retryAfter = Self.retryAfter(response.headers)
                trace?("\(response.status)", retryAfter.map { _ in "as Retry-After asks" } ?? "a \(response.status) is worth another try")
            case .failure(let failure):
                let error = failure.error
                // A connection that could not be made in the whole connect timeout (its SYN
                // sent again and again meanwhile) is tried once more, not at every attempt:
                // a host that drops packets took four of them, 41 s, to fail a read.
                if failure.connectTimedOut { connectTimeouts += 1 }
                // A request that never left (no connection) is safe to send again, a write too.
                guard error.retryable, request.idempotent || !error.outcomeUnknown, attempt < attempts,
                      connectTimeouts <= Self.connectTimeoutRetries else {
                    trace?(error.message, nil)
                    throw error
                }
                retryAfter = nil
                trace?(error.message, error.outcomeUnknown ? "a safe request whose answer did not come" : "nothing was sent")
            }
            let wait = retry.delay(afterAttempt: attempt, retryAfter: retryAfter)
            if let retryAfter, let deadline = VendorDeadline.current, ContinuousClock.now + retryAfter > deadline {
                let left = max(0, Int((deadline - ContinuousClock.now).components.seconds))
                throw VendorError(vendor: request.vendor, operation: request.operation, status: 429,
                                  message: "\(request.vendor.rawValue) asks to wait \(Self.seconds(retryAfter)); \(left) s of --timeout are left",
                                  retryable: true)
            }
            do {
                try await Task.sleep(for: wait)
            } catch {
                throw VendorError(vendor: request.vendor, operation: request.operation, status: nil, message: "cancelled", retryable: false)
            }
        }
    }

    static let retryableStatuses: Set<Int> = [429, 502, 503, 504]

    /// How many times a request whose connection timed out is tried again.
    static let connectTimeoutRetries = 1

    /// An attempt that got no answer: its error, and whether its connection timed out.
    private struct AttemptFailure: Error {
        var error: VendorError
        var connectTimedOut: Bool
    }

    /// `encore create_user: POST https://host/users/v1/users -> 201, 312 bytes in 43 ms (attempt 1)`, with
    /// `; retrying: why` when another attempt follows. The URL is scrubbed of the request's
    /// credentials (none travel there, but a mistyped base URL could hold one).
    static func traceLine(_ request: VendorRequest, answer: String, duration: Duration, attempt: Int, next: String?) -> String {
        let url = request.credentials.isEmpty ? request.url : String(decoding: SecretScrubber(request.credentials).scrub(Array(request.url.utf8)), as: UTF8.self)
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return "\(request.vendor.rawValue) \(request.operation): \(request.method.rawValue) \(url) -> \(answer) in \(milliseconds) ms (attempt \(attempt))"
            + (next.map { "; retrying: \($0)" } ?? "")
    }

    /// `Retry-After` as seconds (integer or decimal) or an HTTP date.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let value = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value), seconds >= 0, seconds.isFinite { return .milliseconds(Int64(seconds * 1000)) }
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "GMT")
        format.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = format.date(from: value) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSinceNow) * 1000))
    }

    /// `60 s`, `1.5 s`.
    static func seconds(_ duration: Duration) -> String {
        let value = duration.inSeconds
        return value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    /// A 3xx: not followed, so no credential reaches the `Location`.
    static func redirected(_ response: VendorResponse, _ request: VendorRequest) -> VendorError {
        let location = response.headers.first(name: "Location")
        let host = location.flatMap { URL(string: $0)?.host } ?? URL(string: request.url)?.host
        let target = location == nil ? "with no Location" : "to \(host ?? "an unreadable Location")"
        return VendorError(vendor: request.vendor, operation: request.operation, status: response.status,
                           message: "the vendor redirected \(target); vendor APIs do not redirect, so it was not followed (check base_url)",
                           retryable: false)
    }

    /// The largest answer read (more is a failed call, not a process out of memory).
    static let maximumAnswerBytes = 16 << 20

    private func once(_ request: VendorRequest) async -> Result<VendorResponse, AttemptFailure> {
        var proxy: VendorProxy?
        do {
            // The delegate API, not the async one: a call's answer is small and read whole,
            // and the async body's streaming machinery cost a fifth of a call's CPU.
            let http = try VendorCallProfile.shared.measure(.encode) { () throws in
                var headers = HTTPHeaders()
                headers.reserveCapacity(request.headers.count)
                for (name, value) in request.headers { headers.add(name: name, value: value) }
                return try HTTPClient.Request(url: request.url, method: request.method, headers: headers, body: request.body.map { .bytes($0) })
            }
            proxy = proxies?.proxy(for: request.url)
            let client = proxy?.client ?? self.client
            let accumulator = ResponseAccumulator(request: http, maxBodySize: Self.maximumAnswerBytes)
            let response: HTTPClient.Response
            if VendorCallProfile.shared.isOn {
                let started = ContinuousClock.now
                let timed = SendTimedAccumulator(accumulator)
                response = try await exchange(http, on: client, delegate: timed)
                let sent = timed.sent ?? started
                VendorCallProfile.shared.add(.send, from: started, to: sent)
                VendorCallProfile.shared.add(.wait, since: sent)
            } else {
                response = try await exchange(http, on: client, delegate: accumulator)
            }
            let status = Int(response.status.code)
            var body = response.body.map { Array($0.readableBytesView) } ?? []
            // A refusal's text becomes an error message: a server that echoes the request
            // must not hand its credentials to the script, the output or a log.
            if !(200..<300).contains(status), !request.credentials.isEmpty {
                body = SecretScrubber(request.credentials).scrub(body)
            }
            return .success(VendorResponse(status: status, headers: response.headers, body: body))
        } catch {
            // No response: a connect error, a reset, a timeout or a cancellation. Safe
            // requests may retry; whether anything reached the vendor decides "unknown".
            // Through a proxy, it is the proxy that could not be reached (or refused).
            let target = Self.hostAndPort(request.url).map { $0 + (proxy.map { " through the proxy \($0.shown)" } ?? "") }
            let (message, sent) = Self.describe(error, target: target)
            return .failure(AttemptFailure(
                error: VendorError(vendor: request.vendor, operation: request.operation, status: nil,
                                   message: message, retryable: !Self.isProxyRefusal(error), outcomeUnknown: sent, unreachable: !sent),
                connectTimedOut: (error as? HTTPClientError) == .connectTimeout))
        }
    }

    /// Sends `http` on `client` and reads its answer through `delegate`, within `timeout`
    /// (kept by `RequestDeadlines`) and cancelled with the calling task.
    private func exchange<Delegate: HTTPClientResponseDelegate>(
        _ http: HTTPClient.Request, on client: HTTPClient, delegate: Delegate
    ) async throws -> HTTPClient.Response where Delegate.Response == HTTPClient.Response {
        let task = client.execute(request: http, delegate: delegate)
        let watch = RequestDeadlines.shared.watch(until: .now + timeout) { task.cancel() }
        let response: HTTPClient.Response
        do {
            response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch {
            if RequestDeadlines.shared.forget(watch) { throw HTTPClientError.deadlineExceeded }
            throw error
        }
        _ = RequestDeadlines.shared.forget(watch)
        return response
    }

    /// A transport error in one line, without the request (which could carry credentials)
    /// but naming the `target` (`host:port`) a connection could not be made to, and whether
    /// the request may have reached the vendor. Only a connection that was never made is
    /// certain to have sent nothing.
    static func describe(_ error: any Error, target: String? = nil) -> (message: String, maybeSent: Bool) {
        let couldNotConnect = "could not connect" + (target.map { " to \($0)" } ?? "")
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return ("\(couldNotConnect) (timed out)", false)
            case .deadlineExceeded, .readTimeout: return ("timed out waiting for the answer", true)
            case .remoteConnectionClosed: return ("the connection was closed before an answer", true)
            case .cancelled: return ("cancelled before an answer", true)
            // The proxy's own refusals: the request never reached the vendor.
            case .proxyAuthenticationRequired: return ("the proxy asks for a user and password (proxy = \"http://USER@HOST:PORT\" and proxy_password in roster.toml)", false)
            case .invalidProxyResponse: return ("the proxy refused to connect to the vendor", false)
            default: return ("HTTP client error (\(error.shortDescription))", true)
            }
        }
        if error is CancellationError { return ("cancelled before an answer", true) }
        // A TLS handshake that failed: the request was never written.
        if let error = error as? NIOSSLError, case .handshakeFailed(let reason) = error {
            return ("\(couldNotConnect) (TLS handshake failed: \(tlsReason(reason)))", false)
        }
        if let error = error as? NIOSSLExtraError {
            return ("\(couldNotConnect) (TLS handshake failed: \(String(describing: error).replacingOccurrences(of: "NIOSSLExtraError.", with: "")))", false)
        }
        if let error = error as? NIOConnectionError {
            // No address answered (or none was found): nothing was sent.
            let reason = error.connectionErrors.lazy.compactMap { ($0.error as? IOError).map { String(cString: strerror($0.errnoCode)).lowercased() } }.first
                ?? (error.dnsAError ?? error.dnsAAAAError).map { _ in "its name was not found" }
            return (couldNotConnect + (reason.map { " (\($0))" } ?? ""), false)
        }
        let text = String(describing: error)
        if text.contains("connectFailed") || text.contains("Connection refused") || text.contains("NIOConnectionError") {
            return (couldNotConnect + (text.contains("Connection refused") ? " (connection refused)" : ""), false)
        }
        return ("no answer (\(type(of: error)))", true)
    }
}

extension VendorHTTP {
    /// BoringSSL's reason, readable: `error:1000010b:SSL routines:OPENSSL_internal:
    /// WRONG_VERSION_NUMBER at FILE:LINE` reads `wrong version number`,
    /// `CERTIFICATE_VERIFY_FAILED` `certificate verify failed`.
    static func tlsReason(_ error: BoringSSLError) -> String {
        let text = String(describing: error)
        let first = text.components(separatedBy: " at ").first ?? text
        guard let reason = first.split(separator: ":").last?.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" }),
              !reason.isEmpty, first.contains(":") else { return text }
        return reason.lowercased().replacingOccurrences(of: "_", with: " ")
    }

    /// `host:port` of `url` (`host` alone when it names no port), for a message: never its
    /// user, path or query.
    static func hostAndPort(_ url: String) -> String? {
        guard let parsed = URL(string: url), let host = parsed.host, !host.isEmpty else { return nil }
        return HostAddress.shown(host, port: parsed.port)
    }

    /// A proxy's refusal is its configuration's answer, the same at every attempt.
    static func isProxyRefusal(_ error: any Error) -> Bool {
        guard let error = error as? HTTPClientError else { return false }
        return error == .proxyAuthenticationRequired || error == .invalidProxyResponse
    }
}

extension HTTPClientError {
    /// The case name only: an HTTPClientError's description can include a URL.
    var shortDescription: String {
        String(describing: self).prefix { $0 != "(" && $0 != ":" }.description
    }
}

/// AsyncHTTPClient's accumulator, noting when the request was written whole: what a
/// profiled call (`VendorCallProfile`) counts as sent, the rest as the wait for the answer.
final class SendTimedAccumulator: HTTPClientResponseDelegate {
    typealias Response = HTTPClient.Response
    private let accumulator: ResponseAccumulator
    private let sentAt = Mutex<ContinuousClock.Instant?>(nil)

    init(_ accumulator: ResponseAccumulator) { self.accumulator = accumulator }

    /// When the request was written whole, once it was.
    var sent: ContinuousClock.Instant? { sentAt.withLock { $0 } }

    func didSendRequest(task: HTTPClient.Task<Response>) { sentAt.withLock { $0 = .now } }
    func didVisitURL(task: HTTPClient.Task<Response>, _ request: HTTPClient.Request, _ head: HTTPResponseHead) {
        accumulator.didVisitURL(task: task, request, head)
    }
    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        accumulator.didReceiveHead(task: task, head)
    }
    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        accumulator.didReceiveBodyPart(task: task, buffer)
    }
    func didReceiveError(task: HTTPClient.Task<Response>, _ error: any Error) { accumulator.didReceiveError(task: task, error) }
    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response { try accumulator.didFinishRequest(task: task) }
}
