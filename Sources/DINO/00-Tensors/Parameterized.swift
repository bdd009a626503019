// snippet.parameterized
/// A layer or model whose parameters can be walked by name, with the reference's dotted names
/// (`blocks.3.attn.qkv.weight`, `patch_embed.proj.weight`, …).
///
/// One walk serves everything that treats parameters alike (EMA, AdamW's groups, clipping, checkpoints,
/// PyTorch interchange), and because gradients are shaped like the layer, the same walk over a gradient
/// yields the same names in the same order.
public protocol Parameterized {
    /// Calls `body` with every parameter's full name (`prefix` + its own name) in a fixed order; `body`
    /// may change the tensor in place.
    mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows
}
// snippet.end

extension Parameterized {
    /// Every parameter with its name, in walking order.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        var copy = self
        var result = [(name: String, tensor: Tensor)]()
        copy.visitParameters(prefix: "") { name, tensor in result.append((name, tensor)) }
        return result
    }

    /// The total number of scalars in all parameters.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.tensor.count } }

    /// Replaces every parameter with the tensor of the same name in `tensors`.
    ///
    /// Throws `ParameterError` naming the first missing parameter, the first whose shape differs, or
    /// (with `strict`, as PyTorch's `load_state_dict(strict=True)`) the first name this model does not have.
    public mutating func load(_ tensors: [String: Tensor], strict: Bool = true) throws {
        var used = Set<String>()
        try visitParameters(prefix: "") { name, tensor in
            guard let replacement = tensors[name] else { throw ParameterError.missing(name) }
            guard replacement.shape == tensor.shape else {
                throw ParameterError.shapeMismatch(name, expected: tensor.shape, found: replacement.shape)
            }
            tensor = replacement
            used.insert(name)
        }
        if strict, let unexpected = tensors.keys.sorted().first(where: { !used.contains($0) }) {
            throw ParameterError.unexpected(unexpected)
        }
    }
}

/// A parameter set that does not fit a model.
public enum ParameterError: Error, Equatable, CustomStringConvertible {
    /// The model has a parameter the set lacks.
    case missing(String)
    /// The set has a parameter the model lacks.
    case unexpected(String)
    /// The shapes differ.
    case shapeMismatch(String, expected: [Int], found: [Int])

    /// A message that names the parameter and what was expected.
    public var description: String {
        switch self {
        case .missing(let name): "parameter \(name) is missing from the weights"
        case .unexpected(let name): "unexpected parameter \(name): the model has no parameter of that name"
        case .shapeMismatch(let name, let expected, let found):
            "parameter \(name) has shape \(found), the model expects \(expected)"
        }
    }
}
