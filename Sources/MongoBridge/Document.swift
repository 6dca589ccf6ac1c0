/// An ordered BSON document. Field order is kept: MongoDB preserves it, and so do we.
public struct Document: Equatable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(key: String, value: BSON)]

    public init(_ fields: [(key: String, value: BSON)] = []) { self.fields = fields }

    public init(dictionaryLiteral elements: (String, BSON)...) {
        fields = elements.map { (key: $0.0, value: $0.1) }
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
    public var keys: [String] { fields.map(\.key) }
    public func makeIterator() -> IndexingIterator<[(key: String, value: BSON)]> { fields.makeIterator() }

    public subscript(key: String) -> BSON? {
        get { fields.first { $0.key == key }?.value }
        set {
            if let i = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[i].value = newValue } else { fields.remove(at: i) }
            } else if let newValue {
                fields.append((key: key, value: newValue))
            }
        }
    }

    public mutating func append(_ key: String, _ value: BSON) { fields.append((key: key, value: value)) }

    public static func == (a: Document, b: Document) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
