import Glibc
import Synchronization

/// A TCP peer's IP address as one value (IPv4 in the low bits, as ::ffff:a.b.c.d maps it);
/// unix-socket peers have none and are never capped.
struct PeerAddress: Hashable, Sendable {
    let high: UInt64, low: UInt64

    init?(peerOf fd: Int32) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            let v4 = withUnsafeBytes(of: &storage) { $0.load(fromByteOffset: 4, as: UInt32.self) }  // sin_addr
            (high, low) = (0, 0xFFFF_0000_0000 | UInt64(UInt32(bigEndian: v4)))
        case AF_INET6:
            (high, low) = withUnsafeBytes(of: &storage) {  // sin6_addr, at offset 8
                (
                    UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                    UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
                )
            }
        default:
            return nil
        }
    }
}

/// Open connections per client address, shared by every loop, for MAX_CONNECTIONS_PER_CLIENT.
/// One short lock per accept and per close of a TCP connection.
final class ClientConnectionCounts: Sendable {
    private let counts = Mutex<[PeerAddress: Int]>([:])

    /// Counts a new connection from `peer` unless it already has `limit` open.
    func admit(_ peer: PeerAddress, limit: Int) -> Bool {
        counts.withLock { counts in
            let open = counts[peer, default: 0]
            guard open < limit else { return false }
            counts[peer] = open + 1
            return true
        }
    }

    func release(_ peer: PeerAddress) {
        counts.withLock { counts in
            guard let open = counts[peer] else { return }
            counts[peer] = open > 1 ? open - 1 : nil
        }
    }
}
