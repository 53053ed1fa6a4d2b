package dev.jnn.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fashion-MNIST (Zalando; 60,000 training and 10,000 test images of 28x28 grey pixels, 10
 * classes) from its four IDX files.
 *
 * <p>Where the files are looked for: the directory given by the user, else the directory in the
 * environment variable {@value #ENV} when set, else {@link #DEFAULT_DIR}, where the Debian package
 * {@code dataset-fashion-mnist} installs them. Each file may be gzip-compressed ({@code .gz}) or
 * raw (the name without {@code .gz}).
 *
 * <pre>{@code
 * FashionMnist.Splits d = FashionMnist.load();                // or load(Path.of("data/fashion"))
 * Dataset train = d.train();                                  // features (60000, 1, 28, 28) in [0, 1], targets class ids (60000, 1)
 * Dataset flat = d.test().flatten();                          // (10000, 784) for dense models
 * FashionMnist.Splits z = FashionMnist.load(null, FashionMnist.MEAN, FashionMnist.STD);  // standardized pixels
 * }</pre>
 */
public final class FashionMnist {
  private FashionMnist() {}

  /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
  public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
  /** Environment variable naming a directory with the four files (used when no directory is given). */
  public static final String ENV = "JNN_FASHION_MNIST";
  /** Mean pixel value (in [0, 1]) of the 60,000 training images, for {@link #load(Path, float, float)}. */
  public static final float MEAN = 0.2860f;
  /** Standard deviation of the training pixels (in [0, 1]). */
  public static final float STD = 0.3530f;
  public static final int TRAIN_SIZE = 60_000, TEST_SIZE = 10_000, CLASSES = 10, ROWS = 28, COLS = 28;
  /** Class names, index = class id. */
  public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
      "Ankle boot");

  /** The four base names (without {@code .gz}). */
  public static final List<String> FILES = List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

  /** The training and test sets. */
  public record Splits(Dataset train, Dataset test) {}

  /** Loads from the default location (see the class comment), pixels in [0, 1]. */
  public static Splits load() throws IOException { return load(null, 0f, 1f); }

  /** Loads from a directory (null: the default location), pixels in [0, 1]. */
  public static Splits load(Path dir) throws IOException { return load(dir, 0f, 1f); }

  /** Loads with pixels {@code (p / 255 - mean) / std}. */
  public static Splits load(Path dir, float mean, float std) throws IOException {
    Path d = directory(dir);
    Dataset train = Idx.dataset(file(d, FILES.get(0)), file(d, FILES.get(1)), mean, std);
    Dataset test = Idx.dataset(file(d, FILES.get(2)), file(d, FILES.get(3)), mean, std);
    check(train, d, "training", TRAIN_SIZE);
    check(test, d, "test", TEST_SIZE);
    return new Splits(train, test);
  }

  /** Whether the four files are present at the default location (or in {@value #ENV}'s directory). */
  public static boolean available() {
    try {
      directory(null);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The directory holding the four files: {@code dir} when given, else {@value #ENV}, else
   * {@link #DEFAULT_DIR}. Throws {@link FileNotFoundException} saying which files are missing and
   * how to get them.
   */
  public static Path directory(Path dir) throws IOException {
    Path d = dir != null ? dir : System.getenv(ENV) != null && !System.getenv(ENV).isBlank() ? Path.of(System.getenv(ENV)) : DEFAULT_DIR;
    List<String> missing = new ArrayList<>();
    for (String f : FILES) if (find(d, f) == null) missing.add(f + "[.gz]");
    if (!missing.isEmpty())
      throw new FileNotFoundException("Fashion-MNIST not found in " + d + " (missing " + String.join(", ", missing) + "). Install it with "
          + "`apt-get install dataset-fashion-mnist` (files in " + DEFAULT_DIR + "), or download the four files "
          + "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz "
          + "(https://github.com/zalandoresearch/fashion-mnist) into a directory and pass it (--data DIR, or " + ENV + "=DIR)");
    return d;
  }

  private static Path file(Path dir, String base) throws IOException {
    Path p = find(dir, base);
    if (p == null) throw new FileNotFoundException(dir.resolve(base) + "[.gz] not found");
    return p;
  }

  private static Path find(Path dir, String base) {
    Path gz = dir.resolve(base + ".gz"), raw = dir.resolve(base);
    return Files.isRegularFile(gz) ? gz : Files.isRegularFile(raw) ? raw : null;
  }

  private static void check(Dataset d, Path dir, String what, int size) throws IOException {
    int[] s = d.featureShape();
    if (d.size() != size || s[1] != ROWS || s[2] != COLS)
      throw new IOException("Fashion-MNIST in " + dir + ": the " + what + " set has " + d.size() + " images of " + s[1] + "x" + s[2] + ", expected " + size
          + " of " + ROWS + "x" + COLS + " (wrong or partial files?)");
    float[] y = d.targets().data();
    for (int i = 0, o = d.targets().offset(); i < d.size(); i++)
      if (y[o + i] >= CLASSES) throw new IOException("Fashion-MNIST in " + dir + ": " + what + " label " + (int) y[o + i] + " at " + i + " is not a class id 0-9");
  }
}
