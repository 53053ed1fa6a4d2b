package dev.jnn.train;

import dev.jnn.data.Dataset;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.Conv2d;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Flatten;
import dev.jnn.nn.MaxPool2d;
import dev.jnn.nn.ReLU;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import java.util.Objects;

/**
 * The convolutional example: the CNN of the TensorFlow "Convolutional Neural Network" tutorial,
 * in NCHW and PyTorch naming.
 *
 * <pre>
 * Conv2d(C->32, 3x3)  ReLU  MaxPool2d(2)
 * Conv2d(32->64, 3x3) ReLU  MaxPool2d(2)
 * Conv2d(64->64, 3x3) ReLU  Flatten
 * Dense(F->64) ReLU   Dense(64->10)          (softmax folded into SoftmaxCrossEntropyLoss)
 * </pre>
 *
 * F is {@link #flattenSize}: 64 x 3 x 3 = 576 for 28x28 Fashion-MNIST images, 64 x 4 x 4 = 1024
 * for 32x32 CIFAR-shaped ones (the tutorial's). All weights Xavier/Glorot uniform, biases zero
 * (Keras' defaults, which the tutorial uses), from one seed.
 *
 * <pre>{@code
 * Model m = CnnExample.fashionMnistCnn(1).to(Device.CPU);
 * m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-3).build());
 * System.out.println(m.summary(1, 28, 28));
 * m.fit(FashionMnist.load().train(), 5, 32);
 * }</pre>
 */
public final class CnnExample {
  private CnnExample() {}

  public static final int CLASSES = 10;

  /** Output size of a valid 3x3 convolution followed by 2x2 max pooling (floor), as in the model. */
  private static int convPool(int s) { return (s - 2) / 2; }

  /**
   * Width of the Flatten output for inputs of height x width: 64 x P x Q after the three valid
   * 3x3 convolutions and two 2x2 poolings; throws if the input is smaller than 18x18 (the last
   * convolution would get less than 3x3).
   */
  public static int flattenSize(int height, int width) {
    if (height < 18 || width < 18)
      throw new IllegalArgumentException("tutorial CNN: input " + height + "x" + width + " is too small; it needs at least 18x18 "
          + "(three 3x3 valid convolutions and two 2x2 poolings)");
    int p = convPool(convPool(height)) - 2, q = convPool(convPool(width)) - 2;
    return 64 * p * q;
  }

  /** The tutorial CNN for channels x height x width inputs (NCHW), initialized from seed. */
  public static Model tutorialCnn(int channels, int height, int width, long seed) {
    if (channels < 1) throw new IllegalArgumentException("tutorial CNN: channels must be >= 1, got " + channels);
    int f = flattenSize(height, width);
    return Model.sequential(
        new Conv2d(channels, 32, 3), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 3), new ReLU(), new MaxPool2d(2),
        new Conv2d(64, 64, 3), new ReLU(), new Flatten(),
        new Dense(f, 64), new ReLU(), new Dense(64, CLASSES)).init(seed);
  }

  /** For 1 x 28 x 28 images (Fashion-MNIST, MNIST): Flatten gives 576. */
  public static Model fashionMnistCnn(long seed) { return tutorialCnn(1, 28, 28, seed); }

  /** For 3 x 32 x 32 images (CIFAR-10, the tutorial's data): Flatten gives 1024. */
  public static Model cifarCnn(long seed) { return tutorialCnn(3, 32, 32, seed); }

  /** A training recipe: device, seed (weights and shuffling), epochs, batch size, Adam learning rate. */
  public record Config(Device device, long seed, int epochs, int batchSize, double lr) {
    public Config {
      Objects.requireNonNull(device, "device");
      if (epochs < 1 || batchSize < 1) throw new IllegalArgumentException("CnnExample: epochs and batchSize must be >= 1");
      if (!(lr > 0)) throw new IllegalArgumentException("CnnExample: lr must be > 0, got " + lr);
    }

    /** The tutorial's recipe: Adam lr 1e-3, batch 32, 10 epochs, seed 1, java device. */
    public static Config defaults() { return new Config(Device.JAVA, 1, 10, 32, 1e-3); }

    public Config withDevice(Device d) { return new Config(d, seed, epochs, batchSize, lr); }
    public Config withEpochs(int e) { return new Config(device, seed, e, batchSize, lr); }
    public Config withSeed(long s) { return new Config(device, s, epochs, batchSize, lr); }
    public Config withBatchSize(int b) { return new Config(device, seed, epochs, b, lr); }
  }

  /** What a run measured: held-out loss and accuracy, the training history, seconds of fit. */
  public record Result(Config config, double testAccuracy, double testLoss, History history, double seconds, String summary) {}

  /**
   * Builds the tutorial CNN for the data's image shape (features (n, C, H, W)), compiles it with
   * softmax cross-entropy and Adam, trains on train (test as validation data, reported through
   * progress, which may be null) and evaluates on test.
   */
  public static Result run(Config c, Dataset train, Dataset test, Callback progress) {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
    if (train.features().rank() != 4)
      throw new IllegalArgumentException("CnnExample: training features " + train.features().shapeString() + " must be images (n, C, H, W)");
    int ch = train.features().dim(1), h = train.features().dim(2), w = train.features().dim(3);
    Model m = tutorialCnn(ch, h, w, c.seed()).to(c.device());
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(c.lr()).build());
    FitOptions.Builder fo = FitOptions.builder().epochs(c.epochs()).batchSize(c.batchSize()).seed(c.seed()).validation(test);
    if (progress != null) fo.callback(progress);
    long t0 = System.nanoTime();
    History hist = m.fit(train, fo.build());
    double seconds = (System.nanoTime() - t0) * 1e-9;
    Evaluation e = m.evaluate(test, c.batchSize());
    Result r = new Result(c, e.accuracy(), e.loss(), hist, seconds, m.summary(ch, h, w));
    m.close();   // on a GPU: the model's device memory back to the pool
    return r;
  }
}
