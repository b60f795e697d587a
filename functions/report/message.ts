/** What a renderer produces for one audience: bytes out, no I/O (the render stage writes them). */
export interface InlineImage {
  /** Content-ID the HTML refers to as `cid:<cid>`. */
  cid: string;
  filename: string;
  png: Buffer;
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
