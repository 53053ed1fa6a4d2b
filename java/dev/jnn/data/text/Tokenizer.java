package dev.jnn.data.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A word-level tokenizer: text is lower-cased ({@link Locale#ROOT}) and split into words at every
 * code point that is not a letter or digit. The vocabulary is built from training texts, keeping
 * the {@code maxWords} most frequent words, ties broken alphabetically, so the same texts give
 * the same ids on every run. Id {@value #PAD} is padding, id {@value #OOV} out-of-vocabulary,
 * words take ids 2.. in order of decreasing frequency.
 *
 * <p>{@link #encode(String, int)} pads and truncates to a fixed length at the end ("post", as the
 * classic Keras text-classification tutorial does with {@code padding='post', truncating='post'}):
 * the first maxLen words are kept, padding follows them.
 *
 * <pre>{@code
 * Tokenizer tok = Tokenizer.fit(trainingTexts, 1000);      // 1000 words + <pad> + <oov>
 * int[] ids = tok.encode("The quick fox", 20);              // 20 ids, zeros after the words
 * String meta = tok.serialize();  Tokenizer same = Tokenizer.parse(meta);
 * }</pre>
 */
public final class Tokenizer {
  public static final int PAD = 0, OOV = 1;
  public static final String PAD_TOKEN = "<pad>", OOV_TOKEN = "<oov>";
  /** First line of {@link #serialize()}. */
  public static final String FORMAT = "jnn-word-tokenizer/1";

  private final List<String> words;  // id - 2 -> word
  private final Map<String, Integer> ids = new HashMap<>();

  private Tokenizer(List<String> words) {
    this.words = List.copyOf(words);
    for (int i = 0; i < words.size(); i++) ids.put(words.get(i), i + 2);
  }

  /** The words of a text: lower-cased, split at every code point that is not a letter or digit. */
  public static List<String> words(String text) {
    Objects.requireNonNull(text, "text");
    List<String> out = new ArrayList<>();
    String s = text.toLowerCase(Locale.ROOT);
    int start = -1;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      boolean word = Character.isLetterOrDigit(cp);
      if (word && start < 0) start = i;
      if (!word && start >= 0) {
        out.add(s.substring(start, i));
        start = -1;
      }
      i += Character.charCount(cp);
    }
    if (start >= 0) out.add(s.substring(start));
    return out;
  }

  /** Builds the vocabulary of the training texts, keeping the {@code maxWords} most frequent words (ties alphabetical). */
  public static Tokenizer fit(List<String> texts, int maxWords) {
    Objects.requireNonNull(texts, "texts");
    if (maxWords < 1) throw new IllegalArgumentException("Tokenizer.fit: maxWords must be >= 1, got " + maxWords);
    if (texts.isEmpty()) throw new IllegalArgumentException("Tokenizer.fit: no training texts; pass at least one text");
    Map<String, Integer> counts = new HashMap<>();
    for (String t : texts) for (String w : words(Objects.requireNonNull(t, "Tokenizer.fit: a training text is null"))) counts.merge(w, 1, Integer::sum);
    if (counts.isEmpty()) throw new IllegalArgumentException("Tokenizer.fit: the " + texts.size() + " training texts hold no words (letters or digits)");
    List<Map.Entry<String, Integer>> e = new ArrayList<>(counts.entrySet());
    e.sort((a, b) -> a.getValue().equals(b.getValue()) ? a.getKey().compareTo(b.getKey()) : Integer.compare(b.getValue(), a.getValue()));
    List<String> kept = new ArrayList<>();
    for (int i = 0; i < Math.min(maxWords, e.size()); i++) kept.add(e.get(i).getKey());
    return new Tokenizer(kept);
  }

  /** Number of ids: the words plus {@value #PAD_TOKEN} and {@value #OOV_TOKEN} (an embedding's input size). */
  public int size() { return words.size() + 2; }
  /** The vocabulary's words in id order (ids 2..). */
  public List<String> vocabulary() { return words; }

  /** The id of a word (lower-cased first); {@value #OOV} if unknown. */
  public int id(String word) {
    Integer i = ids.get(word.toLowerCase(Locale.ROOT));
    return i == null ? OOV : i;
  }

  /** The word of an id ({@value #PAD_TOKEN}, {@value #OOV_TOKEN}, or a vocabulary word). */
  public String word(int id) {
    if (id < 0 || id >= size())
      throw new IllegalArgumentException("Tokenizer: id " + id + " is outside [0, " + size() + ") of this vocabulary (ids from another tokenizer?)");
    return id == PAD ? PAD_TOKEN : id == OOV ? OOV_TOKEN : words.get(id - 2);
  }

  /** Ids of all the text's words (no padding). */
  public int[] encode(String text) {
    List<String> w = words(text);
    int[] out = new int[w.size()];
    for (int i = 0; i < out.length; i++) {
      Integer id = ids.get(w.get(i));
      out[i] = id == null ? OOV : id;
    }
    return out;
  }

  /** Exactly {@code maxLen} ids: the first maxLen words' ids, then {@value #PAD} up to maxLen. */
  public int[] encode(String text, int maxLen) {
    if (maxLen < 1) throw new IllegalArgumentException("Tokenizer.encode: maxLen must be >= 1, got " + maxLen);
    return Arrays.copyOf(encode(text), maxLen);  // truncates, or pads with zeros = PAD
  }

  /** Words of ids, joined by spaces; padding is skipped. */
  public String decode(int[] ids) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= size())
        throw new IllegalArgumentException("Tokenizer.decode: id " + ids[i] + " at position " + i + " is outside [0, " + size()
            + ") of this vocabulary (ids from another tokenizer?)");
      if (ids[i] == PAD) continue;
      if (sb.length() > 0) sb.append(' ');
      sb.append(word(ids[i]));
    }
    return sb.toString();
  }

  /** Newline-separated: {@value #FORMAT}, then the words in id order (words never hold white space). */
  public String serialize() { return FORMAT + "\n" + String.join("\n", words); }

  /** The tokenizer of {@link #serialize()}'s string. */
  public static Tokenizer parse(String s) {
    if (s == null || !s.startsWith(FORMAT + "\n"))
      throw new IllegalArgumentException("Tokenizer.parse: not a serialized tokenizer (expected a first line '" + FORMAT + "')");
    String[] w = s.substring(FORMAT.length() + 1).split("\n", -1);
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < w.length; i++) {
      List<String> ws = words(w[i]);
      if (ws.size() != 1 || !ws.get(0).equals(w[i]))
        throw new IllegalArgumentException("Tokenizer.parse: entry " + i + " '" + w[i] + "' is not a lower-case word of letters and digits");
      if (!seen.add(w[i])) throw new IllegalArgumentException("Tokenizer.parse: word '" + w[i] + "' appears twice");
    }
    return new Tokenizer(Arrays.asList(w));
  }

  /** Throws if {@code other} has another vocabulary, saying how; {@code what} names the other one. */
  public void requireSame(Tokenizer other, String what) {
    if (other == null) throw new IllegalArgumentException("vocabulary mismatch: " + what + " has no tokenizer");
    if (other.words.equals(words)) return;
    String m = "vocabulary mismatch: " + what + " has " + other.size() + " ids, this tokenizer " + size();
    for (int i = 0; i < Math.min(words.size(), other.words.size()); i++)
      if (!words.get(i).equals(other.words.get(i))) {
        m += "; first difference at id " + (i + 2) + ": '" + words.get(i) + "' here, '" + other.words.get(i) + "' there";
        break;
      }
    throw new IllegalArgumentException(m + "; reuse the serialized tokenizer (Tokenizer.parse) instead of fitting a new one");
  }

  @Override public boolean equals(Object o) { return o instanceof Tokenizer t && t.words.equals(words); }
  @Override public int hashCode() { return words.hashCode(); }
  @Override public String toString() { return "Tokenizer(" + words.size() + " words + <pad>, <oov>)"; }
}
