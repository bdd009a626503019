import CPNG
import DINO
import Foundation
import JPEGDecoder

/// Decoding PNG and JPEG files to `[0, 1]` floats `(C, H, W)`, and writing PNG, through libpng's
/// simplified API and libjpeg-turbo.
public enum ImageCodecs {
    /// A decoded image: `channels × height × width` values in `[0, 1]`.
    public struct Image: Sendable {
        /// `(C, H, W)`, row-major.
        public var pixels: [Float]
        /// 1 or 3.
        public let channels: Int
        /// Rows.
        public let height: Int
        /// Columns.
        public let width: Int
    }

    /// Decodes the PNG or JPEG file at `path` to `channels` channels (grey images are repeated to RGB,
    /// colour images averaged to grey by the codec); throws naming the file when it is not a readable image.
    public static func decode(_ path: String, channels: Int) throws -> Image {
        if let reason = unreadableFileReason(path) { throw DataError(reason) }
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError("\(path) cannot be read (the system gave no reason)") }
        return try decode([UInt8](data), name: path, channels: channels)
    }

    /// The largest decoded size (bytes) a file of `size` bytes may declare: deflate and JPEG cannot
    /// compress beyond about 1032:1, so a header claiming more is corrupt, and is refused before any
    /// allocation that a corrupt size field could make huge.
    static func maximumDecodedBytes(fileSize: Int) -> Int { max(1 << 22, 1100 * fileSize) }

    /// Decodes PNG or JPEG bytes (`name` is used in messages).
    public static func decode(_ bytes: [UInt8], name path: String, channels: Int) throws -> Image {
        guard !bytes.isEmpty else { throw DataError("\(path): the file is empty; expected a PNG or JPEG image") }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try decodePNG(bytes, path: path, channels: channels) }
        if bytes.starts(with: [0xFF, 0xD8]) { return try decodeJPEG(bytes, path: path, channels: channels) }
        throw DataError("\(path): not a PNG or JPEG image (the first bytes are neither signature)")
    }

    static func decodePNG(_ bytes: [UInt8], path: String, channels: Int) throws -> Image {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard bytes.withUnsafeBytes({ png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }) != 0 else {
            throw DataError("\(path): not a readable PNG (\(message(of: image)))")
        }
        guard image.width > 0, image.height > 0, image.width <= 16384, image.height <= 16384,
              Int(image.width) * Int(image.height) * channels <= maximumDecodedBytes(fileSize: bytes.count) else {
            throw DataError("\(path): PNG size \(image.width)×\(image.height) is outside 1…16384 or more than \(bytes.count) bytes can hold")
        }
        image.format = channels == 1 ? 0 : 2  // PNG_FORMAT_GRAY, PNG_FORMAT_RGB (8 bits per channel)
        var buffer = [UInt8](repeating: 0, count: Int(image.width) * Int(image.height) * channels)
        guard png_image_finish_read(&image, nil, &buffer, 0, nil) != 0 else {
            throw DataError("\(path): PNG data is corrupt or truncated (\(message(of: image)))")
        }
        return planar(buffer, channels: channels, height: Int(image.height), width: Int(image.width))
    }

    static func decodeJPEG(_ bytes: [UInt8], path: String, channels: Int) throws -> Image {
        var pixels: UnsafeMutablePointer<UInt8>?
        var (width, height): (Int32, Int32) = (0, 0)
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer {
            dino_jpeg_decode($0.baseAddress, $0.count, Int32(channels), maximumDecodedBytes(fileSize: bytes.count),
                             &pixels, &width, &height, &message, message.count)
        }
        guard status == 0, let pixels else {
            throw DataError("\(path): not a readable JPEG (\(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))")
        }
        defer { free(pixels) }
        let interleaved = Array(UnsafeBufferPointer(start: pixels, count: Int(width) * Int(height) * channels))
        return planar(interleaved, channels: channels, height: Int(height), width: Int(width))
    }

    /// Interleaved 8-bit `(H, W, C)` → planar floats `(C, H, W)` in `[0, 1]`.
    static func planar(_ interleaved: [UInt8], channels: Int, height: Int, width: Int) -> Image {
        var pixels = [Float](repeating: 0, count: interleaved.count)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels { pixels[(c * height + y) * width + x] = Float(interleaved[(y * width + x) * channels + c]) / 255 }
            }
        }
        return Image(pixels: pixels, channels: channels, height: height, width: width)
    }

    static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Writes `(C, H, W)` values in `[0, 1]` (C = 1 or 3) as an 8-bit PNG, atomically.
    public static func writePNG(_ pixels: [Float], channels: Int, height: Int, width: Int, to url: URL) throws {
        var interleaved = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    interleaved[(y * width + x) * channels + c] = UInt8((min(1, max(0, pixels[(c * height + y) * width + x])) * 255).rounded())
                }
            }
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 1 ? 0 : 2
        var size = 0
        guard png_image_write_to_memory(&image, nil, &size, 0, interleaved, 0, nil) != 0 else {
            throw DataError("\(url.path): PNG encoding failed (\(message(of: image)))")
        }
        var encoded = [UInt8](repeating: 0, count: size)
        guard png_image_write_to_memory(&image, &encoded, &size, 0, interleaved, 0, nil) != 0 else {
            throw DataError("\(url.path): PNG encoding failed (\(message(of: image)))")
        }
        try writeAtomically(Data(encoded[0..<size]), to: url)
    }
}

/// A folder of the user's images in the ImageFolder convention: `root/<class>/<image>.png|jpg|jpeg`.
public enum ImageFolder {
    /// The file endings read.
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Every image under `root`, its shorter side resized to `imageSize` and centre-cropped to a square
    /// (so images of mixed sizes and shapes are fine), with `channels` channels. Classes are the
    /// sub-folders sorted by name, or, with `classNames` (a validation split read against its training
    /// split), labelled by their index in that list. Hidden entries (`.DS_Store`, macOS's `._name.jpg`)
    /// are skipped. Throws naming the folder when it has no class folders, a class has no image or is
    /// not among `classNames`, and naming the file when one cannot be decoded or its name is not UTF-8.
    public static func load(root: String, imageSize: Int, channels: Int, classNames: [String]? = nil) throws -> ImageDataset {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else {
            throw DataError("\(root): no such folder; expected root/<class>/<images> (ImageFolder layout)")
        }
        let classes = try visibleEntries(of: root).filter { name in
            var folder: ObjCBool = false
            return manager.fileExists(atPath: "\(root)/\(name)", isDirectory: &folder) && folder.boolValue
        }.sorted()
        guard !classes.isEmpty else { throw DataError("\(root): no class folders; expected root/<class>/<images>.png|jpg") }
        let names = classNames ?? classes
        var pixels = [Float](), labels = [Int]()
        for name in classes {
            guard let label = names.firstIndex(of: name) else {
                throw DataError("\(root)/\(name): class '\(name)' is not among the training classes (\(names.joined(separator: ", "))); classes are matched by folder name")
            }
            let files = try visibleEntries(of: "\(root)/\(name)").filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            guard !files.isEmpty else { throw DataError("\(root)/\(name): class folder with no .png, .jpg or .jpeg image") }
            for file in files {
                let image = try ImageCodecs.decode("\(root)/\(name)/\(file)", channels: channels)
                let side = Double(min(image.height, image.width))
                let region = (top: (Double(image.height) - side) / 2, left: (Double(image.width) - side) / 2, height: side, width: side)
                pixels += Resampling.resize(image.pixels[...], channels: channels, height: image.height, width: image.width,
                                            region: region, outHeight: imageSize, outWidth: imageSize)
                labels.append(label)
            }
        }
        return ImageDataset(pixels: pixels, labels: labels, classNames: names, channels: channels, height: imageSize, width: imageSize)
    }

    /// The names in `folder` that do not start with a dot, read as bytes: a name that is not UTF-8 would
    /// reach Foundation as "caf\u{FFFD}.jpg", a file that does not exist. Throws naming it with its
    /// bytes escaped (`caf\xE9.jpg`).
    static func visibleEntries(of folder: String) throws -> [String] {
        guard let directory = opendir(folder) else {
            throw DataError("\(folder): cannot be read (\(String(cString: strerror(errno))))")
        }
        defer { closedir(directory) }
        var names = [String]()
        while let entry = readdir(directory) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            guard bytes.first != UInt8(ascii: ".") else { continue }  // ".", "..", and hidden files
            guard let name = String(validating: bytes, as: UTF8.self) else {
                throw DataError("\(folder)/\(readable(bytes)): the file name is not UTF-8; rename it (for example with convmv -f latin1 -t utf8)")
            }
            names.append(name)
        }
        return names
    }

    /// `bytes` as text, each byte that is not printable ASCII written `\xHH`.
    static func readable(_ bytes: [UInt8]) -> String {
        bytes.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : String(format: "\\x%02X", $0) }.joined()
    }
}
