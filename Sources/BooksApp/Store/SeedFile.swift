import FoundationEssentials
import JSON

/// Reads the samples from the files mongosh runs too: the books of rawdata/book-data-to-insert.js
/// (the JSON array passed to `insertMany(`) and the fleet of rawdata/fleet-data-to-insert.js (the
/// array assigned to `const fleet =`). The files keep those arrays strict JSON.
enum SeedFile {
    static func books(path: String) throws(StoreError) -> [JSONValue] { try array(path: path, after: "insertMany(") }
    static func fleet(path: String) throws(StoreError) -> [JSONValue] { try array(path: path, after: "const fleet =") }

    private static func array(path: String, after markerText: String) throws(StoreError) -> [JSONValue] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .invalid("seed file \(path) not found") }
        let bytes = [UInt8](data)
        let marker = Array(markerText.utf8)
        guard let start = firstIndex(of: marker, in: bytes) else { throw .invalid("seed file \(path) has no \(markerText)") }
        var position = start + marker.count
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09 { position += 1 }
        do {
            let (value, _) = try JSONParser.parsePrefix(bytes[position...])
            guard case .array(let items) = value else { throw StoreError.invalid("seed file \(path): \(markerText) must be followed by an array") }
            return items
        } catch let error as JSONError {
            throw .invalid("seed file \(path): the array after \(markerText) is not strict JSON: \(error)")
        } catch let error as StoreError {
            throw error
        } catch {
            throw .invalid("seed file \(path): \(error)")
        }
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<i + needle.count]) == needle { return i }
        }
        return nil
    }
}
