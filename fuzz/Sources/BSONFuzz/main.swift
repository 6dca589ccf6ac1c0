import FuzzSupport
import JSON

@testable import MongoBridge

// libFuzzer target for MongoBridge's BSON codec, two ways in (the first byte picks):
// - even: bytes → JSON → Document → BSON. libbson itself must accept the BSON as valid (UTF-8
//   included), and decoding it must give back the same document;
// - odd: bytes straight into the BSON decoder, as a hostile server reply would arrive. What decodes
//   must re-encode to bytes that decode and encode to themselves again.
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] & 1 == 0 {
        guard case .object(let object)? = try? JSONParser.parse(bytes, maxDepth: 32) else { return 0 }
        let document = Document(json: object)
        let encoded = BSONCodec.encode(document)
        precondition(libbsonAcceptsForInsert(encoded), "libbson rejects what the codec wrote")
        let decoded = try! BSONCodec.decode(encoded)
        if !hasNULInKeys(document) {  // the codec drops NULs in keys; the API refuses such keys first
            precondition(BSONCodec.encode(decoded) == encoded, "JSON → BSON → Document changed the document")
            _ = decoded.json  // and back to JSON without trapping
        }
    } else {
        guard let decoded = try? BSONCodec.decode(bytes) else { return 0 }
        _ = decoded.json
        let encoded = BSONCodec.encode(decoded)
        let again = try! BSONCodec.decode(encoded)
        precondition(BSONCodec.encode(again) == encoded, "decode → encode is not stable")
    }
    return 0
}

private func hasNULInKeys(_ document: Document) -> Bool {
    document.contains { field in field.key.utf8.contains(0) || hasNULInKeys(field.value) }
}

private func hasNULInKeys(_ value: BSON) -> Bool {
    switch value {
    case .document(let d): return hasNULInKeys(d)
    case .array(let items): return items.contains(where: hasNULInKeys)
    default: return false
    }
}

runLibFuzzer(fuzz)
