import CMongoC

/// Owns one heap `bson_t` made from our encoded bytes and frees it. Swift sees libbson's
/// 128-byte-aligned `bson_t` only as an OpaquePointer; nothing outside MongoBridge sees it at all.
final class BSONHandle {
    let pointer: OpaquePointer

    init(_ document: Document) throws(MongoError) {
        let bytes = BSONCodec.encode(document)
        guard let p = bytes.withUnsafeBufferPointer({ bson_new_from_data($0.baseAddress, $0.count) }) else {
            throw .invalidDocument("libbson rejected a document of \(bytes.count) bytes")
        }
        pointer = p
    }

    deinit { bson_destroy(pointer) }
}

/// Calls `body` with uninitialised, correctly aligned storage for a reply that libmongoc fills in,
/// then decodes and destroys the reply, whatever happened.
func withReply<T>(_ body: (OpaquePointer) -> T) -> (T, Document?) {
    // bson_t is 128 bytes and 128-byte aligned in C; allocate it so rather than trust a Swift layout.
    let raw = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
    defer { raw.deallocate() }
    let reply = OpaquePointer(raw)
    // Initialise it ourselves (an inline, static bson_t), so bson_destroy below is safe even on a
    // path where libmongoc returns early without touching it.
    bson_init(reply)
    let result = body(reply)
    let document = decode(reply)
    bson_destroy(reply)
    return (result, document)
}

/// Decodes a `bson_t` owned by libmongoc into our Document (a copy), or nil if unreadable.
func decode(_ bson: OpaquePointer) -> Document? {
    guard let data = bson_get_data(bson) else { return nil }
    // A BSON document starts with its own little-endian int32 length.
    let length = Int(UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24)
    guard length >= 5 else { return nil }
    return try? BSONCodec.decode(UnsafeRawBufferPointer(start: data, count: length))
}

/// Whether libbson accepts `bytes` as libmongoc validates an insert: valid UTF-8, a NUL inside a
/// string allowed. The BSON fuzz target's oracle for the Swift codec.
func libbsonAcceptsForInsert(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBufferPointer { buffer -> Bool in
        guard let document = bson_new_from_data(buffer.baseAddress, buffer.count) else { return false }
        defer { bson_destroy(document) }
        var offset = 0
        return bson_validate(document, bson_validate_flags_t(BSON_VALIDATE_UTF8.rawValue | BSON_VALIDATE_UTF8_ALLOW_NULL.rawValue), &offset)
    }
}
