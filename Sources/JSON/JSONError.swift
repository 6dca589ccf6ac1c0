/// Why a byte sequence is not acceptable JSON. `offset` is the byte where parsing stopped.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case syntax
        case invalidUTF8
        case tooDeep
        case numberOutOfRange
        case duplicateKey
    }

    public var kind: Kind
    public var message: String
    public var offset: Int

    public init(_ kind: Kind, _ message: String, at offset: Int) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(message) at byte \(offset)" }
}
