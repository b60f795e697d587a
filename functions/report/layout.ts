import mjml2html from 'mjml';
import { escapeHtml } from './html.ts';

/**
 * The frame every message shares: MJML (tables that hold in Outlook, columns that stack on a
 * phone), one 600 px column, and the palette for light and dark colour schemes.
 */
export const palette = {
  text: '#1f2328',
  muted: '#57606a',
  rule: '#d0d7de',
  page: '#f6f8fa',
  card: '#ffffff',
  accent: '#0969da',
  status: { good: '#1a7f37', warning: '#9a6700', critical: '#cf222e', none: '#57606a' } as Record<string, string>,
};

export const statusWord: Record<string, string> = { good: 'Good', warning: 'Warning', critical: 'Critical', none: '—' };

export interface Shell {
  title: string;
  /** The inbox preview line. */
  preview: string;
  /** mj-section elements. */
  sections: string;
}

export function shellMjml(shell: Shell): string {
  return `<mjml>
  <mj-head>
    <mj-title>${escapeHtml(shell.title)}</mj-title>
    <mj-preview>${escapeHtml(shell.preview)}</mj-preview>
    <mj-attributes>
      <mj-all font-family="Arial, Helvetica, sans-serif" />
      <mj-text font-size="14px" color="${palette.text}" line-height="1.45" padding="4px 16px" />
    </mj-attributes>
  </mj-head>
  <mj-body background-color="${palette.page}" width="600px">
${shell.sections}
  </mj-body>
</mjml>`;
}

export async function compileMjml(mjml: string, what: string): Promise<string> {
  const { html, errors } = await mjml2html(mjml, { validationLevel: 'strict', minify: false });
  if (errors.length > 0) throw new Error(`the ${what} template is not valid MJML: ${errors.map((e) => e.formattedMessage).join('; ')}`);
  return html;
}
