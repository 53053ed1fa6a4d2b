package dev.jnn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Fashion-MNIST files of the Debian package (installed here and in CI by .ci/run:
 * {@code apt-get install dataset-fashion-mnist}). Where they are missing the data tests are
 * skipped with the reason printed, except in CI (env CI set), where that is a failure.
 */
class FashionMnistTest {
  static FashionMnist.Splits data;
  static String missing;

  @BeforeAll
  static void load() throws IOException {
    if (!FashionMnist.available()) {
      missing = "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)";
      if (System.getenv("CI") != null) throw new AssertionError(missing + ": required in CI");
      System.out.println("SKIP FashionMnistTest (real data): " + missing);
      return;
    }
    data = FashionMnist.load();
  }

  @BeforeEach
  void requireData(org.junit.jupiter.api.TestInfo info) {
    if (!info.getDisplayName().startsWith("missingFiles")) Assumptions.assumeTrue(data != null, missing);
  }

  @Test
  void shapesAndLabelRange() {
    assertEquals(60_000, data.train().size());
    assertEquals(10_000, data.test().size());
    assertArrayEquals(new int[] {60_000, 1, 28, 28}, data.train().features().shape());
    assertArrayEquals(new int[] {10_000, 1, 28, 28}, data.test().features().shape());
    assertArrayEquals(new int[] {60_000, 1}, data.train().targets().shape());
    int[] counts = new int[10];
    for (float y : data.train().targets().toArray()) {
      assertTrue(y >= 0 && y <= 9 && y == Math.rint(y), "label " + y);
      counts[(int) y]++;
    }
    for (int c : counts) assertEquals(6000, c, "Fashion-MNIST's training set is balanced: 6,000 per class");
    float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
    for (float v : data.test().features().toArray()) { min = Math.min(min, v); max = Math.max(max, v); }
    assertEquals(0f, min);
    assertEquals(1f, max);
  }

  @Test
  void knownStatistics() {
    // the first training image is an ankle boot (class 9), the first test image too; train labels 0..4: 9 0 0 3 0
    float[] y = data.train().targets().toArray();
    assertArrayEquals(new float[] {9, 0, 0, 3, 0}, java.util.Arrays.copyOf(y, 5));
    assertEquals(9f, data.test().targets().at(0));
    double sum = 0, sq = 0;
    float[] x = data.train().features().data();
    for (float v : x) { sum += v; sq += (double) v * v; }
    double mean = sum / x.length, std = Math.sqrt(sq / x.length - mean * mean);
    assertEquals(FashionMnist.MEAN, mean, 1e-4, "mean training pixel");
    assertEquals(FashionMnist.STD, std, 1e-4, "pixel standard deviation");
  }

  @Test
  void normalizedLoadAndFlatten() throws IOException {
    FashionMnist.Splits z = FashionMnist.load(null, FashionMnist.MEAN, FashionMnist.STD);
    assertEquals((0f - FashionMnist.MEAN) / FashionMnist.STD, z.test().features().at(0));
    Dataset flat = z.test().flatten();
    assertArrayEquals(new int[] {10_000, 784}, flat.features().shape());
    assertEquals(z.test().features().at(783), flat.features().get(0, 783));
  }

  @Test
  void uncompressedFilesInAUserDirectory(@TempDir Path dir) throws IOException {
    for (String f : FashionMnist.FILES)
      try (InputStream in = new GZIPInputStream(Files.newInputStream(FashionMnist.directory(null).resolve(f + ".gz")))) {
        Files.copy(in, dir.resolve(f));
      }
    FashionMnist.Splits raw = FashionMnist.load(dir);
    assertArrayEquals(data.test().features().toArray(), raw.test().features().toArray());
    assertArrayEquals(data.train().targets().toArray(), raw.train().targets().toArray());
  }

  @Test
  void missingFilesSayHowToGetThem(@TempDir Path dir) throws IOException {
    Files.write(dir.resolve("train-images-idx3-ubyte.gz"), new byte[0]);
    FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> FashionMnist.load(dir));
    String m = e.getMessage();
    assertTrue(m.contains(dir.toString()) && m.contains("apt-get install dataset-fashion-mnist") && m.contains("--data DIR")
        && m.contains("t10k-labels-idx1-ubyte") && !m.contains("missing train-images"), m);
  }
}
