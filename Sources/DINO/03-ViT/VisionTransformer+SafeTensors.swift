import Foundation

extension VisionTransformer {
    /// Loads a backbone saved by this project, timm or the DINO reference (strict: every parameter
    /// present with its shape, nothing extra). A prefix `module.backbone.`, `backbone.` or `module.`
    /// on every name (DINO checkpoints) is removed first; `teacher.`/`student.` are chosen by `prefix`.
    public mutating func load(safetensors url: URL, prefix: String? = nil) throws {
        let raw = try SafeTensors.read(url)
        let candidates = prefix.map { [$0] } ?? ["module.backbone.", "backbone.", "module.", ""]
        let chosen = candidates.first { candidate in raw.keys.contains(candidate + "cls_token") } ?? ""
        var tensors = [String: Tensor]()
        for (name, tensor) in raw where name.hasPrefix(chosen) { tensors[String(name.dropFirst(chosen.count))] = tensor }
        do { try load(tensors) } catch let error as ParameterError {
            throw ConfigurationError("\(url.path): \(error)")
        }
    }
}
