package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.List;

/**
 * Layers written the way a user writes them, outside jnn's own list: a composite
 * ({@link Residual}, y = x + f(x), the example in Layer's javadoc) and a leaf
 * ({@link Square}, y = x * x). {@link #register()} adds both to the {@link LayerRegistry}, as a
 * user's application does once at startup.
 */
public final class UserLayers {
  private UserLayers() {}

  /** y = x + f(x): a user's composite holding a child and a merge, summing the two gradients of x. */
  public static final class Residual extends Layer {
    private final Layer f;
    private final Add add = new Add();
    private final Tensor[] pair = new Tensor[2];
    private Tensor dx;

    public Residual(Layer f) { this.f = f; }

    public Layer f() { return f; }

    @Override public String name() { return "Residual(" + f.name() + ")"; }

    @Override public List<Child> children() { return List.of(child("f", f), child("add", add)); }

    @Override public int[] outputShape(int[] s) { return f.outputShape(s); }

    @Override
    public Tensor forward(Tensor x, boolean training) {
      pair[0] = x;
      pair[1] = f.call(x, training);
      return add.call(pair, training);
    }

    @Override
    public Tensor backward(Tensor dy) {
      Tensor[] d = add.callBackwardAll(dy);
      Tensor df = f.callBackward(d[1]);
      if (dx == null || !dx.sameShape(df)) {
        Tensor.closeAll(dx);   // on a device: back to the pool
        dx = Tensor.zeros(device(), df.shape());
      }
      backend.add(d[0], df, dx);
      return dx;
    }

    @Override
    protected void onDeviceChanged() {
      Tensor.closeAll(dx);
      dx = null;
    }
  }

  /** y = x * x, backward dx = 2 x dy: a user's leaf layer on the backend's kernels. */
  public static final class Square extends Layer {
    private Tensor x, y, dx;

    @Override public String name() { return "Square"; }

    @Override
    public Tensor forward(Tensor in, boolean training) {
      checkInput(in);
      if (y == null || !y.sameShape(in)) {
        Tensor.closeAll(y, dx);
        y = Tensor.zeros(device(), in.shape());
        dx = Tensor.zeros(device(), in.shape());
      }
      backend.mul(in, in, y);
      x = in;
      return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
      checkGradOutput(dy, x == null ? null : y);
      backend.mul(dy, x, dx);
      backend.scale(dx, 2f, dx);
      return dx;
    }

    @Override
    protected void onDeviceChanged() {
      Tensor.closeAll(y, dx);
      x = y = dx = null;
    }
  }

  /** Registers both types (idempotent). */
  public static void register() {
    LayerRegistry.register("UserResidual", Residual.class, (l, c) -> c.putLayer("f", l.f()), c -> new Residual(c.getLayer("f")));
    LayerRegistry.register("UserSquare", Square.class, (l, c) -> {}, c -> new Square());
  }
}
