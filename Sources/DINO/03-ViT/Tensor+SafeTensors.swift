import DINOSupport
import Foundation

/// A `Tensor` is what a safetensors file stores (the format itself is in `DINOSupport`, below every
/// chapter): these read a file's tensors as `Tensor`s.
extension Tensor: SafeTensorsStorable {}

extension SafeTensors {
    /// Reads every tensor of the file at `url`, stripping `prefix` from names that have it.
    public static func read(_ url: URL, stripping prefix: String = "") throws -> [String: Tensor] {
        try read(url, stripping: prefix, as: Tensor.self)
    }

    /// The tensors in a safetensors byte buffer, with their names.
    public static func decode(_ data: Data, file: URL) throws -> [(String, Tensor)] {
        try decode(data, file: file, as: Tensor.self)
    }
}
