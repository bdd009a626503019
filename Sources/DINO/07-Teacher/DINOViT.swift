

// snippet.dino-vit
/// DINO's two networks: a student trained by gradient descent and a teacher that follows it by EMA.
///
/// The teacher starts as an exact copy of the student (backbone and head), has no DropPath, and is only
/// ever changed by `updateTeacher(teacherMomentum:)`.
public struct DINOViT: Equatable, Sendable {
    /// The network trained by gradient descent, with DropPath.
    public var student: BackboneWithHead
    /// The momentum teacher: the same architecture, no DropPath, no gradient.
    public private(set) var teacher: BackboneWithHead

    /// A freshly initialised student and its copy as the teacher.
    public init(backbone: ViTConfiguration, head: HeadConfiguration, using rng: inout some RandomNumberGenerator) {
        student = BackboneWithHead(backbone: VisionTransformer(backbone, using: &rng), head: DINOHead(head, using: &rng))
        teacher = BackboneWithHead(backbone: student.backbone.withoutDropPath(), head: student.head)
    }

    /// A pair from given networks (a checkpoint being resumed).
    public init(student: BackboneWithHead, teacher: BackboneWithHead) {
        self.student = student
        self.teacher = teacher
    }

    /// θ_t ← λ·θ_t + (1 − λ)·θ_s, by parameter name.
    public mutating func updateTeacher(teacherMomentum: Float) {
        DINO.updateTeacher(&teacher, towards: student, teacherMomentum: teacherMomentum)
    }
}
// snippet.end
