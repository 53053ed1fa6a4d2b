package dev.jnn.data.text;

import dev.jnn.data.Dataset;
import dev.jnn.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Character language-model sequences: windows of {@code length} ids of an encoded text as
 * inputs, the same windows shifted one character on as targets (target t is the character after
 * input t). Window k starts at {@code k * stride}; stride = length (the default) gives
 * non-overlapping windows, a smaller stride overlapping ones. A window needs {@code length + 1}
 * ids (its targets reach one further), and the last, partial window is dropped.
 *
 * <p>As a {@link Dataset}: features (n, length) float ids, targets (n, length) float ids.
 * The validation split cuts the text (not the windows): the first part of the text gives the
 * training windows, the rest the validation windows, so no character is both a training and a
 * validation target.
 *
 * <pre>{@code
 * CharLmData.Corpus c = CharLmData.load(Path.of("book.txt"), 100, 100, 0.1);   // or CharLmData.licenseDefault(100)
 * Dataset train = c.train();                   // features (n, 100) ids, targets (n, 100) next ids
 * String s = c.vocabulary().decode(train.features().rows(0, 1).toArray());
 * }</pre>
 */
public final class CharLmData {
  private CharLmData() {}

  /** A text's vocabulary, its ids, and its training and validation windows. */
  public record Corpus(CharVocabulary vocabulary, int[] ids, Dataset train, Dataset validation, int length, int stride) {}

  /** Number of windows of {@code length} (+1 for the targets) with {@code stride} in {@code textLength} ids. */
  public static int count(int textLength, int length, int stride) {
    checkShape(length, stride);
    return textLength < length + 1 ? 0 : (textLength - length - 1) / stride + 1;
  }

  private static void checkShape(int length, int stride) {
    if (length < 1) throw new IllegalArgumentException("CharLmData: sequence length must be >= 1, got " + length);
    if (stride < 1) throw new IllegalArgumentException("CharLmData: stride must be >= 1, got " + stride);
  }

  /** Non-overlapping windows (stride = length). */
  public static Dataset windows(int[] ids, int length) { return windows(ids, 0, ids.length, length, length); }

  /** Windows of ids[0, ids.length). */
  public static Dataset windows(int[] ids, int length, int stride) { return windows(ids, 0, ids.length, length, stride); }

  /** Windows of ids[from, to): inputs ids[s, s+length), targets ids[s+1, s+length+1). Throws if not even one window fits. */
  public static Dataset windows(int[] ids, int from, int to, int length, int stride) {
    Objects.requireNonNull(ids, "ids");
    if (from < 0 || to < from || to > ids.length)
      throw new IllegalArgumentException("CharLmData.windows: range [" + from + ", " + to + ") outside [0, " + ids.length + ")");
    int n = count(to - from, length, stride);
    if (n == 0)
      throw new IllegalArgumentException("CharLmData.windows: " + (to - from) + " characters hold no window of length " + length + " (needs " + (length + 1)
          + " characters: inputs plus the next character); use a longer text or a shorter length");
    float[] x = new float[n * length], y = new float[n * length];
    for (int k = 0; k < n; k++) {
      int s = from + k * stride;
      for (int t = 0; t < length; t++) {
        x[k * length + t] = ids[s + t];
        y[k * length + t] = ids[s + t + 1];
      }
    }
    return new Dataset(Tensor.of(x, n, length), Tensor.of(y, n, length));
  }

  /**
   * Splits encoded text: the first {@code 1 - validationFraction} of the ids give the training
   * windows, the rest the validation windows ({@code validationFraction} 0: an empty validation set).
   */
  public static Corpus corpus(CharVocabulary vocab, int[] ids, int length, int stride, double validationFraction) {
    Objects.requireNonNull(vocab, "vocabulary");
    Objects.requireNonNull(ids, "ids");
    checkShape(length, stride);
    if (!(validationFraction >= 0 && validationFraction < 1))
      throw new IllegalArgumentException("CharLmData: validation fraction must be in [0, 1), got " + validationFraction);
    for (int i = 0; i < ids.length; i++)
      if (ids[i] < 0 || ids[i] >= vocab.size())
        throw new IllegalArgumentException("CharLmData: id " + ids[i] + " at position " + i + " is outside [0, " + vocab.size() + ") of the vocabulary");
    int cut = (int) Math.round(ids.length * (1 - validationFraction));
    Dataset train = windows(ids, 0, cut, length, stride);
    Dataset val;
    if (validationFraction == 0) val = new Dataset(Tensor.zeros(0, length), Tensor.zeros(0, length));
    else {
      if (count(ids.length - cut, length, stride) == 0)
        throw new IllegalArgumentException("CharLmData: the validation part (" + (ids.length - cut) + " characters, fraction " + validationFraction
            + ") holds no window of length " + length + "; use a larger fraction, a shorter length or a longer text");
      val = windows(ids, cut, ids.length, length, stride);
    }
    return new Corpus(vocab, ids, train, val, length, stride);
  }

  /** A text's own vocabulary (no &lt;unk&gt;), its windows and validation split. */
  public static Corpus fromText(String text, int length, int stride, double validationFraction) {
    CharVocabulary v = CharVocabulary.of(TextFiles.requireText(text, "CharLmData"));
    return corpus(v, v.encode(text), length, stride, validationFraction);
  }

  /** {@link #fromText} of a UTF-8 file. */
  public static Corpus load(Path file, int length, int stride, double validationFraction) throws IOException {
    return fromText(TextFiles.read(file, "pass another UTF-8 text file (any plain-text book works), or use CharLmData.licenseDefault"), length, stride,
        validationFraction);
  }

  /** The default text ({@link LicenseTexts#CHAR_LM_TEXT}, the GPL-3), non-overlapping windows, 10% validation. */
  public static Corpus licenseDefault(int length) throws IOException {
    return fromText(LicenseTexts.read(LicenseTexts.CHAR_LM_TEXT), length, length, 0.1);
  }
}
