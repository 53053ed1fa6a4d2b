package dev.jnn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The IDX reader on files written here: good ones (raw and gzip) and every kind of bad one. */
class IdxTest {
  @TempDir Path dir;

  /** An IDX file: magic, dims, then the bytes. */
  static byte[] idx(int magic, int[] dims, byte[] body) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream o = new DataOutputStream(b);
    o.writeInt(magic);
    for (int d : dims) o.writeInt(d);
    o.write(body);
    o.flush();
    return b.toByteArray();
  }

  static byte[] gzip(byte[] raw) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (OutputStream o = new GZIPOutputStream(b)) { o.write(raw); }
    return b.toByteArray();
  }

  Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  /** 3 images of 2x4 pixels with values 0, 10, 20, ... and their labels 7, 0, 9. */
  static final int N = 3, H = 2, W = 4;
  static byte[] pixels() {
    byte[] b = new byte[N * H * W];
    for (int i = 0; i < b.length; i++) b[i] = (byte) (i * 10);
    return b;
  }
  static final byte[] LABELS = {7, 0, 9};

  @ParameterizedTest(name = "gzip={0}")
  @ValueSource(booleans = {false, true})
  void readsImagesAndLabels(boolean gz) throws IOException {
    byte[] img = idx(Idx.IMAGES_MAGIC, new int[] {N, H, W}, pixels()), lab = idx(Idx.LABELS_MAGIC, new int[] {N}, LABELS);
    // gzip is detected by its magic, not by the name
    Path ip = write("images.idx", gz ? gzip(img) : img), lp = write("labels.idx", gz ? gzip(lab) : lab);
    Tensor x = Idx.images(ip);
    assertArrayEquals(new int[] {N, 1, H, W}, x.shape());
    for (int i = 0; i < x.size(); i++) assertEquals(((i * 10) & 0xff) / 255f, x.at(i));
    assertEquals(200 / 255f, x.get(2, 0, 1, 0));  // element 20 = image 2, row 1, col 0
    assertArrayEquals(new int[] {7, 0, 9}, Idx.labels(lp));
    Dataset d = Idx.dataset(ip, lp);
    assertEquals(N, d.size());
    assertArrayEquals(new int[] {1, H, W}, d.featureShape());
    assertArrayEquals(new float[] {7, 0, 9}, d.targets().toArray());

    Tensor z = Idx.images(ip, 0.5f, 0.25f);
    for (int i = 0; i < z.size(); i++) assertEquals((((i * 10) & 0xff) / 255f - 0.5f) / 0.25f, z.at(i));
  }

  @Test
  void unsignedPixelsAbove127() throws IOException {
    Path p = write("px", idx(Idx.IMAGES_MAGIC, new int[] {1, 1, 2}, new byte[] {(byte) 255, (byte) 128}));
    assertArrayEquals(new float[] {1f, 128 / 255f}, Idx.images(p).toArray());
  }

  private IOException bad(Path p, boolean images) {
    return assertThrows(IOException.class, () -> { if (images) Idx.images(p); else Idx.labels(p); });
  }

  private static void assertMentions(IOException e, Path p, String... words) {
    String m = e.getMessage();
    assertTrue(m.contains(p.toString()), "message names the file: " + m);
    for (String w : words) assertTrue(m.contains(w), "message mentions '" + w + "': " + m);
  }

  @ParameterizedTest(name = "gzip={0}")
  @ValueSource(booleans = {false, true})
  void truncatedHeader(boolean gz) throws IOException {
    byte[] full = idx(Idx.IMAGES_MAGIC, new int[] {N, H, W}, pixels());
    byte[] cut = Arrays.copyOf(full, 9);  // magic + 1 dim + 1 byte
    Path p = write("cut-header", gz ? gzip(cut) : cut);
    assertMentions(bad(p, true), p, "truncated header");
    Path q = write("two-bytes", gz ? gzip(new byte[] {0, 0}) : new byte[] {0, 0});
    assertMentions(bad(q, true), q, "truncated header");
  }

  @ParameterizedTest(name = "gzip={0}")
  @ValueSource(booleans = {false, true})
  void truncatedBody(boolean gz) throws IOException {
    byte[] full = idx(Idx.IMAGES_MAGIC, new int[] {N, H, W}, pixels());
    byte[] cut = Arrays.copyOf(full, full.length - 5);
    Path p = write("cut-body", gz ? gzip(cut) : cut);
    assertMentions(bad(p, true), p, "truncated body", "24 bytes", "19");
  }

  @Test
  void truncatedGzipStream() throws IOException {
    byte[] z = gzip(idx(Idx.IMAGES_MAGIC, new int[] {N, H, W}, pixels()));
    Path p = write("cut.gz", Arrays.copyOf(z, z.length - 12));  // compressed stream cut short
    IOException e = bad(p, true);
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
  }

  @Test
  void wrongMagic() throws IOException {
    Path labelsAsImages = write("labels", idx(Idx.LABELS_MAGIC, new int[] {N}, LABELS));
    assertMentions(bad(labelsAsImages, true), labelsAsImages, "wrong magic 0x00000801", "0x00000803", "swapped");
    Path junk = write("junk", "hello world, not idx".getBytes());
    assertMentions(bad(junk, false), junk, "wrong magic");
  }

  @Test
  void trailingBytes() throws IOException {
    byte[] full = idx(Idx.LABELS_MAGIC, new int[] {N}, LABELS);
    Path p = write("long", Arrays.copyOf(full, full.length + 3));
    assertMentions(bad(p, false), p, "trailing bytes");
  }

  @Test
  void emptyAndMissingFiles() throws IOException {
    Path p = write("empty", new byte[0]);
    assertMentions(bad(p, false), p, "empty file");
    Path missing = dir.resolve("nope.gz");
    IOException e = assertThrows(IOException.class, () -> Idx.labels(missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void countMismatchBetweenImagesAndLabels() throws IOException {
    Path ip = write("i", idx(Idx.IMAGES_MAGIC, new int[] {N, H, W}, pixels()));
    Path lp = write("l", idx(Idx.LABELS_MAGIC, new int[] {2}, new byte[] {1, 2}));
    IOException e = assertThrows(IOException.class, () -> Idx.dataset(ip, lp));
    assertMentions(e, ip, "3 images", "2 labels", lp.toString());
  }
}
