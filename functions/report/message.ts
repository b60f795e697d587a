/** What a renderer produces for one audience: bytes out, no I/O (the render stage writes them). */
export interface InlineImage {
  /** Content-ID the HTML refers to as `cid:<cid>`. */
  cid: string;
  filename: string;
  /** Drawn at twice its CSS size (functions/report/charts.ts). */
  png: Buffer;
  /** CSS px: the size the HTML shows it at, its <img> width and height. */
  width: number;
  height: number;
  /** The smallest text in it, in CSS px at that size; null when it has none. */
  textPx: number | null;
  alt: string;
  /** The chart's plain-text equivalent, for the text part and for readers without images. */
  text: string;
}

export interface FileAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface ReportMessage {
  subject: string;
  html: string;
  text: string;
  images: InlineImage[];
  files: FileAttachment[];
}
