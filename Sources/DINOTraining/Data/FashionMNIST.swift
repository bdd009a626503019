import CZlib
import DINO
import Foundation

/// Fashion-MNIST from its IDX files: what Debian's `dataset-fashion-mnist` installs under
/// `/usr/share/datasets/fashion-mnist/` (gzipped), or the same files uncompressed.
public enum FashionMNIST {
    /// Where the Debian package puts the files.
    public static let defaultFolder = "/usr/share/datasets/fashion-mnist"

    /// The ten classes, in label order.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// The normalisation constants of the training split (what the B1 reference uses).
    public static let mean: [Float] = [0.2860], std: [Float] = [0.3530]

    /// The two splits.
    public enum Split: String, Sendable { case train, test }

    /// Loads a split from `folder`; throws a message naming the file and how to get it when it is
    /// missing, and what was wrong when it is corrupt.
    public static func load(_ split: Split, folder: String = defaultFolder) throws -> ImageDataset {
        let prefix = split == .train ? "train" : "t10k"
        let (imagesPath, labelsPath) = (try findFile(folder: folder, name: "\(prefix)-images-idx3-ubyte"),
                                        try findFile(folder: folder, name: "\(prefix)-labels-idx1-ubyte"))
        for path in [imagesPath, labelsPath] { if let reason = unreadableFileReason(path) { throw DataError(reason) } }
        // The files open: what is wrong now is their content, and a fresh copy is the remedy.
        let images: IDX.Contents, labels: IDX.Contents
        do {
            (images, labels) = (try IDX.read(imagesPath, expectedDimensions: 3), try IDX.read(labelsPath, expectedDimensions: 1))
        } catch let error as DataError {
            throw DataError("\(error); reinstall the dataset (`apt-get install --reinstall dataset-fashion-mnist`) or pass --data-path a good copy")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw DataError("\(folder): \(images.dimensions[0]) images but \(labels.dimensions[0]) labels in the \(split.rawValue) split")
        }
        if let badLabel = labels.bytes.first(where: { $0 > 9 }) {
            throw DataError("\(folder): label \(badLabel) in the \(split.rawValue) split; Fashion-MNIST labels are 0…9")
        }
        return ImageDataset(pixels: images.bytes.map { Float($0) / 255 }, labels: labels.bytes.map(Int.init), classNames: classNames,
                            channels: 1, height: images.dimensions[1], width: images.dimensions[2])
    }

    /// `name.gz` or `name` in `folder`, or an error that says how to install the dataset.
    static func findFile(folder: String, name: String) throws -> String {
        for candidate in ["\(folder)/\(name).gz", "\(folder)/\(name)"] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw DataError("""
            Fashion-MNIST not found: no \(folder)/\(name).gz (or uncompressed). Install it with \
            `apt-get install dataset-fashion-mnist` (or `Tools/install-deps.sh --data`), pass its folder with \
            --data-path, or train on --dataset synthetic or --dataset folder --data-path DIR.
            """)
    }
}

/// The IDX format: a magic number (two zero bytes, a type byte 0x08 for unsigned bytes, the number of
/// dimensions), each dimension as a big-endian 32-bit count, then the data. Gzipped or plain.
public enum IDX {
    /// Dimension sizes and the data bytes of one IDX file.
    public struct Contents: Sendable {
        /// The size of each dimension.
        public let dimensions: [Int]
        /// The data, `dimensions.reduce(1, *)` bytes.
        public let bytes: [UInt8]
    }

    /// At most this many bytes are decompressed: a bound on what a corrupt size field can make us allocate.
    static let maximumBytes = 1 << 30

    /// Reads and validates the IDX file at `path` (gzip is detected and undone; zlib reads plain files
    /// as they are).
    public static func read(_ path: String, expectedDimensions: Int) throws -> Contents {
        let data = try decompress(path)
        guard data.count >= 4 else { throw DataError("\(path): \(data.count) bytes, too short for an IDX header") }
        guard data[0] == 0, data[1] == 0, data[2] == 0x08 else {
            throw DataError(String(format: "%@: wrong magic number 0x%02X%02X%02X%02X; expected 0x000008%02X (unsigned bytes, %d dimensions)",
                                   path, data[0], data[1], data[2], data[3], expectedDimensions, expectedDimensions))
        }
        let count = Int(data[3])
        guard count == expectedDimensions else {
            throw DataError("\(path): \(count) dimensions, expected \(expectedDimensions)")
        }
        guard data.count >= 4 + 4 * count else { throw DataError("\(path): truncated inside the header") }
        let dimensions = (0..<count).map { i in (0..<4).reduce(0) { $0 << 8 | Int(data[4 + 4 * i + $1]) } }
        let (expected, overflow) = dimensions.reduce((1, false)) { partial, d in
            let product = partial.0.multipliedReportingOverflow(by: d)
            return (product.partialValue, partial.1 || product.overflow)
        }
        let payload = data.count - 4 - 4 * count
        guard !overflow, expected == payload else {
            throw DataError("\(path): the header's dimensions \(dimensions) need \(overflow ? "too many" : "\(expected)") data bytes, the file has \(payload)\(payload < expected ? " (truncated?)" : "")")
        }
        return Contents(dimensions: dimensions, bytes: Array(data[(4 + 4 * count)...]))
    }

    /// The file's bytes, gunzipped when it is gzip.
    static func decompress(_ path: String) throws -> [UInt8] {
        if let reason = unreadableFileReason(path) { throw DataError(reason) }
        guard let file = gzopen(path, "rb") else { throw DataError("\(path): cannot be opened") }
        defer { gzclose(file) }
        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let read = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if read < 0 {
                var code: Int32 = 0
                let message = String(cString: gzerror(file, &code))
                throw DataError("\(path): corrupt gzip data (\(message))")
            }
            if read == 0 { break }
            result.append(contentsOf: chunk[0..<Int(read)])
            guard result.count <= maximumBytes else { throw DataError("\(path): more than \(maximumBytes) bytes once decompressed") }
        }
        // A gzip stream cut short reads as a clean end in some zlib versions: ask zlib whether it ended early.
        var code: Int32 = 0
        _ = gzerror(file, &code)
        if code != Z_OK && code != Z_STREAM_END { throw DataError("\(path): corrupt gzip data (error \(code))") }
        return result
    }
}
