/*:
 # 00 · Tensors: the prelude

 DINO trains a Vision Transformer by comparing two of its outputs. Before any of that, we need the one
 object every later chapter passes around: a **tensor**, and the one operation that does nearly all of
 the work: the **matrix product**. This chapter builds both, then writes the first layer of the book,
 a linear layer, with its backward pass by hand, and checks that backward pass numerically.

 Run it with `swift run ch00-tensors`; everything printed below comes from that run.
 */
// weave: time 45 min (20 reading and running, 25 for the exercises)
import DINO
import Notebook

/*:
 ## 1. A tensor is a shape and a flat array

 A `Tensor` stores its numbers in one flat `[Float]`, in **row-major** order: the last index moves
 fastest. A `(2, 3)` tensor keeps row 0 then row 1; element `(i, j)` sits at `i·3 + j`. The distance
 between neighbours along each axis is its **stride**. PyTorch stores tensors the same way, which is why
 a weight saved by PyTorch can be read here without rearranging.

 @snippet(tensor)
 */
func aTensorIsAShapeAndAFlatArray(_ out: Notebook) {
    let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    out.print(x)
    out.print("strides:", x.strides, "  x[1, 2] =", x[1, 2], "= scalars[1·3 + 2] =", x.scalars[5])
    let reshaped = x.reshaped([3, 2])
    out.print("reshaped to (3, 2): same storage, new shape")
    out.print(reshaped)
}

/*:
 ## 2. Randomness only from a seeded generator

 Every random number in this codebase (initial weights, crops, DropPath) comes from a generator the
 caller passes in: `SeededGenerator`, xoshiro256** seeded through SplitMix64. Same seed, same thread
 count: the same bits, run after run. Its state is four numbers, so a checkpoint can save it.

 Weights are initialised as DINO does: a **truncated normal** with standard deviation 0.02. In PyTorch,
 `trunc_normal_(std=0.02)` cuts at ±2 *absolute*, which is a hundred standard deviations: a plain normal
 in practice. We follow PyTorch's meaning, not the name's.
 */
func randomnessFromASeededGenerator(_ out: Notebook) {
    var first = SeededGenerator(seed: 42)
    var second = SeededGenerator(seed: 42)
    let a = Tensor.uniform([4], in: 0..<1, using: &first)
    let b = Tensor.uniform([4], in: 0..<1, using: &second)
    out.print("generator 1, seed 42:", fixed(a.scalars))
    out.print("generator 2, seed 42:", fixed(b.scalars))
    var rng = SeededGenerator(seed: 0)
    let weights = Tensor.truncatedNormal([192, 192], std: 0.02, using: &rng)
    let mean = weights.mean()
    let std = ((weights * weights).mean() - mean * mean).squareRoot()
    out.print("trunc_normal(std 0.02) on 192×192: mean", fixed(mean), " std", fixed(std),
              " max |w|", fixed(weights.scalars.map(abs).max()!))
}

/*:
 ## 3. The matrix product, and two paths to it

 A ViT spends almost all its time in matrix products: `C[i][j] = Σₖ A[i][k]·B[k][j]`. Written as its
 definition, it is three loops; a flag transposes either operand without copying it, which the backward
 passes need all the time:

 @snippet(matmul)

 That first line inside, `if ComputePath.isFast …`, is the only trace of speed you will meet in
 chapters 00–08. This library has **two paths, one truth**. The *reference path* is what the book
 shows: every layer written as its mathematics, on one core, every sum added in a fixed order. The
 *fast path* is what the trainer runs: the same products on OpenBLAS (`cblas_sgemm`, blocked for the
 caches, vector kernels; a whole B1 training step runs 50× as fast as on the reference path, at one
 thread, by `step-benchmark`'s record in `Benchmarks/results/compare-b1.md`), split across cores, with fused
 passes and AVX2 kernels of our own. It lives apart, in `Sources/DINO/Fast/`, and the book's appendix
 on performance explains it. Tests run both on awkward shapes and prove them equal within stated
 tolerances. The chapters run the reference path; chapter 09's trainer runs the fast one unless you
 ask for `--path reference`.

 @snippet(compute-path)

 The path is one of three compute settings, with the number of cores and the large products'
 precision (chapter 09): one `ComputeSettings` value, bound once where a run starts
 (`ComputeSettings.$current.withValue(settings) { … }`), which no layer takes as a parameter.

 **What "the same bits" means.** The reference path adds every sum in an order the code fixes, so it
 gives the same bits on every machine. The fast path gives the same bits run after run *on the same
 machine, with the same OpenBLAS kernel and the same thread count, from the same seed*, and no more than
 that: OpenBLAS picks its kernel by CPU (Haswell, SkylakeX, Cooperlake, Zen …), and another kernel adds
 the terms of a product in another order. So no output in this book depends on the last bits of a
 fast product, and no test asserts equal bits between two different ways of cutting one up.
 */
func theMatrixProductAndTwoPaths(_ out: Notebook) {
    var rng = SeededGenerator(seed: 1)
    let a = Tensor.normal([64, 48], using: &rng)
    let b = Tensor.normal([48, 32], using: &rng)
    let reference = matmul(a, b)
    let fast = ComputeSettings.$current.withValue(ComputeSettings.current.with(path: .fast)) { matmul(a, b) }
    let difference = (fast - reference).scalars.map(abs).max() ?? 0
    out.print("(64, 48) · (48, 32) →", reference.shape)
    out.print("the fast path (OpenBLAS) and the reference loops agree to 1e-4:", difference < 1e-4)
    let viaTranspose = matmul(a.transposed(), b, transposeA: true)
    out.print("Aᵀ stored, transposeA set: the same product, the same bits:", viaTranspose == reference)
    out.print("`swift run -c release kernel-benchmark` measures the fast path on this machine.")
}

/*:
 ## 4. A linear layer, forward

 The linear layer is $y = x\cdot W^\top + b$ for a batch `x` of shape `(N, in)`. PyTorch stores the weight as
 `(out, in)`, so the product uses `W` transposed: a flag, not a copy. Every layer in the book has the
 same two functions: `forward` returns the output **and what backward will need** (here, the input);
 `backward` turns the gradient of the output into the gradients of the input and of the parameters.

 @snippet(linear-forward)
 */
func aLinearLayerForward(_ out: Notebook) {
    var rng = SeededGenerator(seed: 2)
    let layer = Linear(weight: .normal([3, 4], std: 0.5, using: &rng), bias: Tensor([0.1, -0.2, 0.3]))
    let x = Tensor.normal([2, 4], using: &rng)
    let (y, _) = layer.forward(x)
    out.print("x:", x)
    out.print("y = x·Wᵀ + b:", y)
}

/*:
 ## 5. Its backward pass, by hand

 Training needs $\partial L/\partial \theta$ for every parameter. For $y = x\cdot W^\top + b$ with a known $G = \partial L/\partial y$ of shape
 `(N, out)`, the chain rule gives three products:

 ```math
 \frac{\partial L}{\partial x} = G\,W \quad (N, \text{in}), \qquad
 \frac{\partial L}{\partial W} = G^\top x \quad (\text{out}, \text{in}), \qquad
 \frac{\partial L}{\partial b} = \textstyle\sum_{\text{rows}} G \quad (\text{out})
 ```

 Each shape tells you the formula: $\partial L/\partial W$ must be `(out, in)` like `W`, and the only product of `G`
 `(N, out)` and `x` `(N, in)` with that shape is $G^\top \cdot x$. The bias is added to every row, so its
 gradient sums over the rows.

 @snippet(linear-backward)
 */
func itsBackwardPassByHand(_ out: Notebook) {
    var rng = SeededGenerator(seed: 2)
    let layer = Linear(weight: .normal([3, 4], std: 0.5, using: &rng), bias: Tensor([0.1, -0.2, 0.3]))
    let x = Tensor.normal([2, 4], using: &rng)
    let (_, saved) = layer.forward(x)
    let outputGradient = Tensor(shape: [2, 3], repeating: 1)  // L = Σ y
    let (inputGradient, parameterGradients) = layer.backward(outputGradient, input: saved)
    out.print("L = Σ y, so ∂L/∂y = 1 everywhere")
    out.print("∂L/∂x (each row is Σ_o W[o, :]):", inputGradient)
    out.print("∂L/∂b (N = 2 rows of ones):", fixed(parameterGradients.bias!.scalars))
}

/*:
 ## 6. Checking a gradient with central differences

 A hand-written derivative can be wrong in ways no shape check catches. The cure is to compare it with
 the definition: nudge one input by `±h`, rerun the forward pass and divide,

 ```math
 \frac{\partial L}{\partial x_i} \approx \frac{L(x + h e_i) - L(x - h e_i)}{2h},
 ```

 which is accurate to $O(h^{2})$. To turn the layer's output into a scalar we use a fixed random
 projection $L = \sum w_i y_i$, whose gradient with respect to `y` is exactly `w`. Every backward pass in this
 codebase has a test that does this (`Tests/DINOTests`); here is the linear layer's.
 */
func checkingAGradient(_ out: Notebook) {
    var rng = SeededGenerator(seed: 3)
    let layer = Linear(weight: .normal([4, 5], using: &rng), bias: .normal([4], using: &rng))
    let x = Tensor.normal([3, 5], using: &rng)
    let projection = Tensor.uniform([3, 4], in: -1..<1, using: &rng)
    func loss(_ input: Tensor) -> Double {
        let y = layer.forward(input).output
        return zip(y.scalars, projection.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    let analytic = layer.backward(projection, input: x).input
    var numeric = Tensor(zeros: x.shape)
    let h: Float = 1e-2
    for i in 0..<x.count {
        var plus = x, minus = x
        plus.scalars[i] += h
        minus.scalars[i] -= h
        numeric.scalars[i] = Float((loss(plus) - loss(minus)) / Double(2 * h))
    }
    let worst = zip(analytic.scalars, numeric.scalars).map { abs($0 - $1) / max(abs($1), 1e-3) }.max()!
    out.print("∂L/∂x by hand:     ", fixed(analytic.scalars.prefix(5)))
    out.print("∂L/∂x numerically: ", fixed(numeric.scalars.prefix(5)))
    out.print("largest relative difference below 1e-2:", worst < 1e-2)
}

/*:
 ## 7. Why this codebase writes every backward pass by hand

 PyTorch records every operation and differentiates the record for you. That is the right tool for
 research and the wrong one for learning: the derivative you most need to understand (the softmax
 inside attention, the centring of the teacher, the weight-normalised last layer) stays hidden. Here
 each layer's backward pass is a few lines under its forward pass, in the style of llm.c, and each one
 is checked against central differences. It also pays on a CPU: a hand-written backward can fuse steps
 that an autograd engine runs one after another, and it allocates only what it keeps.

 ## Summary

 - A `Tensor` is a shape and a flat row-major `[Float]`, PyTorch's layout.
 - Matrix products go to `cblas_sgemm`; the naive loops stay as the reference.
 - Randomness comes only from a seeded generator that the caller passes in.
 - A layer is a `forward` that returns what `backward` needs and a `backward` that returns the input's
   and the parameters' gradients; central differences check every one.

 ## Exercises

 1. **The linear layer's backward.** Write `linearBackward(outputGradient:input:weight:)` in
    `Exercises/Stubs/Exercise00/LinearBackward.swift`, from the three formulas of step 5. Check it with
    `DINO_EXERCISES=stubs swift test --filter Exercise00`; it passes when your gradients match the
    library's and central differences.
 2. **Central differences.** Write `exerciseCentralDifference(of:at:step:)` in
    `Exercises/Stubs/Exercise00/CentralDifference.swift`: the numerical gradient of step 6, the tool
    every backward pass in this book is checked with.

 After trying them: [the solutions discussed](exercise-solutions.md#chapter-00), with the wrong answers
 their tests catch.
 */
/// The chapter's steps in reading order (a function: a global in `main.swift` reads 0 under tests).
func chapter() -> Chapter {
    Chapter(number: 0, title: "Tensors", steps: [
        Step("A tensor is a shape and a flat array", aTensorIsAShapeAndAFlatArray),
        Step("Randomness only from a seeded generator", randomnessFromASeededGenerator),
        Step("The matrix product, and two paths to it", theMatrixProductAndTwoPaths),
        Step("A linear layer, forward", aLinearLayerForward),
        Step("Its backward pass, by hand", itsBackwardPassByHand),
        Step("Checking a gradient with central differences", checkingAGradient),
    ])
}

chapter().main()
