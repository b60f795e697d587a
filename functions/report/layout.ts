import mjml2html from 'mjml';
import type { SourceQuality } from '../kpis/types.ts';
import { escapeHtml } from './html.ts';
import type { InlineImage } from './message.ts';

/**
 * A full source's records its latest export no longer held, after its row counts
 * (docs/design.md, "Full exports"); nothing for an incremental source or none removed.
 */
export const removedNote = (s: Pick<SourceQuality, 'removed'>, n: (value: number) => string): string =>
  s.removed ? `, ${n(s.removed)} removed (no longer in its full export)` : '';

/**
 * The frame every message shares: MJML (tables that hold in Outlook, columns that stack on a
 * phone), one 600 px column, and the palette for light and dark colour schemes. Colours are
 * inline for the clients that strip <style> (Gmail keeps light); clients that honour
 * prefers-color-scheme (Apple Mail, Outlook for Mac, iOS) get the dark palette through the
 * classes below, each rule `!important` so it wins over the inline light colour.
 */
export const palette = {
  text: '#1f2328',
  muted: '#57606a',
  rule: '#d0d7de',
  page: '#f6f8fa',
  card: '#ffffff',
  accent: '#0969da',
  bannerBg: '#fff8c5',
  bannerText: '#4d2d00',
  status: { good: '#1a7f37', warning: '#9a6700', critical: '#cf222e', none: '#57606a' } as Record<string, string>,
};

const dark = {
  text: '#e6edf3',
  muted: '#9198a1',
  rule: '#3d444d',
  page: '#0d1117',
  card: '#151b23',
  accent: '#4493f8',
  status: { good: '#3fb950', warning: '#d29922', critical: '#f85149', none: '#9198a1' } as Record<string, string>,
};

export const statusWord: Record<string, string> = {
  good: 'Good',
  warning: 'Warning',
  critical: 'Critical',
  none: 'No target',
};

/** Class names the dark palette hooks onto. */
export const css = {
  page: 'p-page',
  card: 'p-card',
  muted: 'p-muted',
  rule: 'p-rule',
  banner: 'p-banner',
  status: (s: string) => `p-st-${s}`,
};

const darkCss = `
    :root { color-scheme: light dark; supported-color-schemes: light dark; }
    @media (prefers-color-scheme: dark) {
      .${css.page}, .${css.page} > div, body { background: ${dark.page} !important; background-color: ${dark.page} !important; }
      .${css.card}, .${css.card} > table, .${css.card} > table > tbody > tr > td { background: ${dark.card} !important; background-color: ${dark.card} !important; }
      .${css.card} div, .${css.card} td, .${css.card} th, .${css.card} li, .${css.card} b { color: ${dark.text} !important; }
      .${css.card} .${css.muted}, .${css.card} .${css.muted} div, .${css.card} td.${css.muted}, .${css.card} th.${css.muted} { color: ${dark.muted} !important; }
      .${css.card} td.${css.rule} { border-color: ${dark.rule} !important; }
      .${css.card} a { color: ${dark.accent} !important; }
      ${Object.entries(dark.status)
        .map(([s, c]) => `.${css.card} .${css.status(s)} { color: ${c} !important; }`)
        .join('\n      ')}
      .${css.banner}, .${css.banner} div { background: #3d2e00 !important; color: #f2cc60 !important; }
    }
    @media only screen and (max-width: 480px) {
      .p-hide-narrow { display: none !important; }
    }`;

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
    <mj-raw><meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark"></mj-raw>
    <mj-attributes>
      <mj-all font-family="Arial, Helvetica, sans-serif" />
      <mj-text font-size="14px" color="${palette.text}" line-height="1.45" padding="4px 16px" />
    </mj-attributes>
    <mj-style>${darkCss}
    </mj-style>
  </mj-head>
  <mj-body background-color="${palette.page}" width="600px" css-class="${css.page}">
${shell.sections}
  </mj-body>
</mjml>`;
}

/** A notice above everything else (stale data): amber in both colour schemes. */
export function bannerSection(lines: string[]): string {
  if (lines.length === 0) return '';
  return `    <mj-section background-color="${palette.bannerBg}" padding="8px 0" css-class="${css.banner}">
      <mj-column>
        <mj-text color="${palette.bannerText}" font-size="14px"><b>⚠ ${lines.map(escapeHtml).join('<br>⚠ ')}</b></mj-text>
      </mj-column>
    </mj-section>`;
}

/**
 * A chart at the CSS size it was designed for (functions/report/charts.ts): width and height
 * attributes for the clients that size images by them (Outlook for Windows) and keep its shape
 * while it loads, max-width so a screen narrower than the chart shrinks it rather than scrolls.
 */
export function chartImage(image: InlineImage, padding = '4px 16px'): string {
  const style = `display:block;border:0;width:100%;max-width:${image.width}px;height:auto`;
  const size = `width="${image.width}" height="${image.height}"`;
  const img = `<img src="cid:${escapeHtml(image.cid)}" alt="${escapeHtml(image.alt)}" ${size} style="${style}">`;
  return `<mj-text padding="${padding}">${img}</mj-text>`;
}

export async function compileMjml(mjml: string, what: string): Promise<string> {
  const { html, errors } = await mjml2html(mjml, { validationLevel: 'strict', minify: false });
  if (errors.length > 0)
    throw new Error(`the ${what} template is not valid MJML: ${errors.map((e) => e.formattedMessage).join('; ')}`);
  return html;
}
