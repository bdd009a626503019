import Foundation

/// What a safetensors file stores: a shape and its scalars, row-major. The library's `Tensor` is one;
/// the format lives below it so that every layer can read and write weights.
public protocol SafeTensorsStorable {
    /// The sizes of the dimensions, outermost first.
    var shape: [Int] { get }
    /// The elements, row-major; `shape`'s product of them.
    var scalars: [Float] { get }
    /// A value of this shape holding these scalars (already checked to agree).
    init(shape: [Int], scalars: [Float])
}

/// The safetensors format, the weight format PyTorch, timm and Hugging Face share: an 8-byte
/// little-endian header length, a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}}`
/// (plus an optional `__metadata__` of strings), then the raw little-endian data.
///
/// F32 is written; F32, F16 and BF16 are read (converted to `Float`). Every field of the header is
/// checked against the file before any data is touched, so a corrupt file gets a message naming the
/// file, the tensor and what was expected, never a crash or an allocation sized by a bad field.
public enum SafeTensors {
    /// Reads every tensor of the file at `url` as `T`, stripping `prefix` from names that have it.
    public static func read<T: SafeTensorsStorable>(_ url: URL, stripping prefix: String = "", as _: T.Type) throws -> [String: T] {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw SafeTensorsError(message: describeSystemError(error, path: url.path))
        }
        var tensors = [String: T]()
        for (name, tensor) in try decode(data, file: url, as: T.self) {
            tensors[name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name] = tensor
        }
        return tensors
    }

    /// The `__metadata__` strings of the file at `url` (empty when it has none).
    public static func readMetadata(_ url: URL) throws -> [String: String] {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw SafeTensorsError(message: describeSystemError(error, path: url.path))
        }
        return try header(data, file: url)["__metadata__"] as? [String: String] ?? [:]
    }

    /// The parsed JSON header, after checking the header length against the file.
    static func header(_ data: Data, file: URL) throws -> [String: Any] {
        guard data.count >= 8 else { throw SafeTensorsError(file, "is \(data.count) bytes long, shorter than the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw SafeTensorsError(file, "header length \(headerLength) runs past the end of the file (\(data.count) bytes)")
        }
        do {
            guard let object = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + Int(headerLength))) as? [String: Any] else {
                throw SafeTensorsError(file, "header is not a JSON object")
            }
            return object
        } catch let error as SafeTensorsError { throw error } catch {
            throw SafeTensorsError(file, "header is not valid JSON; the file is damaged or not a safetensors file")
        }
    }

    /// The tensors in a safetensors byte buffer as `T`, with their names.
    public static func decode<T: SafeTensorsStorable>(_ data: Data, file: URL, as _: T.Type) throws -> [(String, T)] {
        let header = try header(data, file: file)
        let headerEnd = data.prefix(8).enumerated().reduce(8) { $0 + Int($1.element) << (8 * $1.offset) }
        let dataLength = data.count - headerEnd
        var entries = [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)]()
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shapeNumbers = entry["shape"] as? [NSNumber], let offsetNumbers = entry["data_offsets"] as? [NSNumber],
                  offsetNumbers.count == 2
            else { throw SafeTensorsError(file, "tensor \(name): expected {dtype, shape, data_offsets: [begin, end]}") }
            let shape = shapeNumbers.map(\.intValue), begin = offsetNumbers[0].intValue, end = offsetNumbers[1].intValue
            guard let width = ["F32": 4, "F16": 2, "BF16": 2][dtype] else {
                throw SafeTensorsError(file, "tensor \(name): unsupported dtype \(dtype); expected F32, F16 or BF16")
            }
            guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 40 }) else { throw SafeTensorsError(file, "tensor \(name): invalid shape \(shape)") }
            let (count, overflow) = shape.reduce((1, false)) { partial, dimension in
                let product = partial.0.multipliedReportingOverflow(by: dimension)
                return (product.partialValue, partial.1 || product.overflow)
            }
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw SafeTensorsError(file, "tensor \(name): data_offsets [\(begin), \(end)] outside the \(dataLength) data bytes")
            }
            // The element count may fit in an Int while its byte count does not: both are checked.
            let bytes = count.multipliedReportingOverflow(by: width)
            guard !overflow, !bytes.overflow, bytes.partialValue == end - begin else {
                let needed = overflow || bytes.overflow ? "too many" : "\(bytes.partialValue)"
                throw SafeTensorsError(file, "tensor \(name): shape \(shape) of \(dtype) needs \(needed) bytes, data_offsets give \(end - begin)")
            }
            entries.append((name, dtype, shape, begin, end))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        for (previous, next) in zip(entries, entries.dropFirst()) where next.begin < previous.end {
            throw SafeTensorsError(file, "tensors \(previous.name) and \(next.name) overlap in the data")
        }
        return entries.map { entry in
            let bytes = data.subdata(in: headerEnd + entry.begin..<headerEnd + entry.end)
            return (entry.name, T(shape: entry.shape, scalars: decodeScalars(bytes, dtype: entry.dtype)))
        }
    }

    /// Little-endian F32, F16 or BF16 bytes → `Float`s.
    static func decodeScalars(_ bytes: Data, dtype: String) -> [Float] {
        bytes.withUnsafeBytes { raw in
            switch dtype {
            case "F32" where UInt32(littleEndian: 1) == 1:  // the file's byte order is the machine's: one copy
                return [Float](unsafeUninitializedCapacity: raw.count / 4) { buffer, count in
                    count = raw.count / 4
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<4 * count]))
                }
            case "F32":
                return (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            case "BF16":  // the top 16 bits of an F32
                return (0..<raw.count / 2).map { Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16) }
            default:
                return (0..<raw.count / 2).map { halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            }
        }
    }

    /// IEEE half precision → `Float`, subnormals, infinities and NaN included.
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int(bits >> 10 & 0x1F), fraction = Float(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    /// The bytes of a safetensors file holding `tensors` as F32, in the given order.
    public static func encode<T: SafeTensorsStorable>(_ tensors: [(name: String, tensor: T)], metadata: [String: String] = [:]) throws -> Data {
        var header = [String: Any]()
        var offset = 0
        for (name, tensor) in tensors {
            let byteCount = 4 * tensor.scalars.count
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + byteCount]] as [String: Any]
            offset += byteCount
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces to a multiple of 8 so the data is aligned, as the reference writer does.
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for (_, tensor) in tensors {
            tensor.scalars.withUnsafeBytes { data.append(contentsOf: $0) }  // x86 and ARM are little-endian
        }
        return data
    }

    /// Writes `tensors` to `url` atomically: to a temporary file beside it, flushed, then renamed, so a
    /// crash or a full disk leaves the previous file intact.
    public static func write<T: SafeTensorsStorable>(_ tensors: [(name: String, tensor: T)], metadata: [String: String] = [:], to url: URL) throws {
        try writeAtomically(try encode(tensors, metadata: metadata), to: url)
    }
}
/// A safetensors file that cannot be read or written, with the file and the reason.
public struct SafeTensorsError: Error, CustomStringConvertible {
    /// The file and what was wrong with it.
    public let description: String
    init(_ file: URL, _ reason: String) { description = "\(file.path): \(reason)" }
    /// An error with a whole message, which names its file.
    init(message: String) { description = message }
}
