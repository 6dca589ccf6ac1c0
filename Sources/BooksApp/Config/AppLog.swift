import HTTPServer

/// Application log lines (not the access log), through the same non-blocking sink.
struct AppLog: Sendable {
    let sink: LogSink?
    let level: LogLevel

    func info(_ message: @autoclosure () -> String) { emit(.info, message()) }
    func warn(_ message: @autoclosure () -> String) { emit(.warn, message()) }
    func error(_ message: @autoclosure () -> String) { emit(.error, message()) }

    private func emit(_ at: LogLevel, _ message: String) {
        guard at >= level, let sink else { return }
        sink.line("\(at.rawValue): \(message)")
    }
}
