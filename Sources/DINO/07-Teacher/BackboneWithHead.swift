/// A backbone and its head, as the reference's `MultiCropWrapper`: parameters `backbone.*`, `head.*`.
public struct BackboneWithHead: Equatable, Sendable, Parameterized {
    /// The ViT.
    public var backbone: VisionTransformer
    /// The DINO head.
    public var head: DINOHead

    /// A pair of a backbone and a head.
    public init(backbone: VisionTransformer, head: DINOHead) {
        self.backbone = backbone
        self.head = head
    }

    /// `backbone.*` then `head.*`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try backbone.visitParameters(prefix: prefix + "backbone.", body)
        try head.visitParameters(prefix: prefix + "head.", body)
    }
}
