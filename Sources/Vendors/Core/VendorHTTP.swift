/// VendorHTTP.swift: the one HTTP client every vendor client shares (connection pooling),
/// with timeouts, and retries only where a retry is safe.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A request as a vendor client builds it.
struct VendorRequest: Sendable {
    var vendor: Vendor
    var operation: String
    var method: HTTPMethod
    var url: String
    var headers: [(String, String)] = []
    var body: [UInt8]?
    /// Reads, and PUT/DELETE that set a state: safe to send again. Never a creating POST.
    var idempotent: Bool
}

/// What came back.
struct VendorResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
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

    /// Full jitter: a random delay up to base × 2^attempt, capped; `Retry-After` wins.
    func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration {
        if let retryAfter { return min(retryAfter, maximumDelay) }
        let ceiling = min(baseDelay * (1 << min(attempt, 16)), maximumDelay)
        return ceiling * Double.random(in: 0...1)
    }
}

/// Sends vendor requests over one pooled HTTP client.
public final class VendorHTTP: Sendable {
    /// The process-wide client: one pool, up to 64 connections per host, so that
    /// `parallel.map` fan-out is not queued behind a handful of connections.
    public static let shared = VendorHTTP(client: {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }())

    let client: HTTPClient
    public let timeout: Duration
    public let retry: RetryPolicy

    public init(client: HTTPClient = .shared, timeout: Duration = .seconds(30), retry: RetryPolicy = RetryPolicy()) {
        self.client = client
        self.timeout = timeout
        self.retry = retry
    }

    /// Sends `request`, retrying a safe one on connect errors, 429, 502, 503 and 504.
    /// `prepare` runs before every attempt (Activeconnect signs each one afresh).
    func send(_ request: VendorRequest, prepare: @Sendable (inout VendorRequest) -> Void = { _ in }) async throws(VendorError) -> VendorResponse {
        let attempts = request.idempotent ? max(1, retry.attempts) : 1
        var attempt = 0
        while true {
            attempt += 1
            var prepared = request
            prepare(&prepared)
            let outcome: Result<VendorResponse, VendorError> = await once(prepared)
            let retryAfter: Duration?
            switch outcome {
            case .success(let response):
                guard Self.retryableStatuses.contains(response.status), attempt < attempts else { return response }
                retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init).map { .seconds($0) }
            case .failure(let error):
                guard error.retryable, attempt < attempts else { throw error }
                retryAfter = nil
            }
            do {
                try await Task.sleep(for: retry.delay(afterAttempt: attempt, retryAfter: retryAfter))
            } catch {
                throw VendorError(vendor: request.vendor, operation: request.operation, status: nil, message: "cancelled", retryable: false)
            }
        }
    }

    static let retryableStatuses: Set<Int> = [429, 502, 503, 504]

    private func once(_ request: VendorRequest) async -> Result<VendorResponse, VendorError> {
        var http = HTTPClientRequest(url: request.url)
        http.method = request.method
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        if let body = request.body { http.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(http, timeout: .nanoseconds(timeout.nanoseconds))
            let body = try await response.body.collect(upTo: 16 << 20)
            return .success(VendorResponse(status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView)))
        } catch {
            // No response: a connect error, a reset or a timeout. Safe requests may retry.
            return .failure(VendorError(
                vendor: request.vendor, operation: request.operation, status: nil,
                message: Self.describe(error), retryable: true))
        }
    }

    /// A transport error in one line, without the request (which could carry credentials).
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            case .remoteConnectionClosed: return "the connection was closed before a response"
            default: return "HTTP client error (\(error.shortDescription))"
            }
        }
        return "could not connect (\(type(of: error)))"
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

extension HTTPClientError {
    /// The case name only: an HTTPClientError's description can include a URL.
    var shortDescription: String {
        String(describing: self).prefix { $0 != "(" && $0 != ":" }.description
    }
}
