import HTTPServer

/// Store operations: latency of each kind of call and its failures by kind.
final class StoreMetrics: Sendable {
    enum Operation: Int, CaseIterable {
        case listBooks, getBook, insertBook, updateBook, deleteBook
        case listResources, getResource, createResource, renameResource, deleteResource, allocate, deleteAllocation, checkReady, freeBusy, getAllocation, changeAllocation
    }
    static let errorKinds = ["duplicate_id", "too_large", "storage_full", "unavailable", "timeout", "corrupt", "invalid", "outcome_unknown", "misconfigured", "full"]

    private let latency = LatencyHistograms(series: Operation.allCases.count)
    private let errors = AtomicCounters(count: Operation.allCases.count * errorKinds.count)

    func observe(_ operation: Operation, nanos: UInt64, error: StoreError?) {
        latency.observe(operation.rawValue, nanos: nanos)
        guard let error else { return }
        let kind: Int
        switch error {
        case .duplicateID: kind = 0
        case .documentTooLarge: kind = 1
        case .storageFull: kind = 2
        case .unavailable, .pendingWrite: kind = 3
        case .timeout: kind = 4
        case .corrupt: kind = 5
        case .invalid: kind = 6
        case .outcomeUnknown: kind = 7
        case .misconfigured: kind = 8
        case .full: kind = 9
        }
        errors.add(operation.rawValue * Self.errorKinds.count + kind)
    }

    func render(into text: inout String) {
        PrometheusText.header("booksapi_store_operation_duration_seconds", "histogram", "Store calls by operation, successful or not.", into: &text)
        for op in Operation.allCases where latency.count(op.rawValue) > 0 {
            latency.render(op.rawValue, name: "booksapi_store_operation_duration_seconds", labels: "operation=\"\(op)\"", into: &text)
        }
        PrometheusText.header("booksapi_store_errors_total", "counter", "Store calls that failed, by operation and error.", into: &text)
        for op in Operation.allCases {
            for (k, kind) in Self.errorKinds.enumerated() {
                let n = errors.load(op.rawValue * Self.errorKinds.count + k)
                if n > 0 { text += "booksapi_store_errors_total{operation=\"\(op)\",error=\"\(kind)\"} \(n)\n" }
            }
        }
    }
}
