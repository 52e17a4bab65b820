/**
 * Message text → sanitized HTML. markdown-it renders (raw HTML in the text is escaped, never
 * passed through); sanitize-html then keeps only an allowlist of tags and attributes, and links
 * only with an absolute http, https or mailto URL.
 */
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

const markdown = new MarkdownIt({ html: false, linkify: true, breaks: true });

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'strong', 'em', 'del', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr'],
  allowedAttributes: { a: ['href', 'title', 'rel', 'target'], ol: ['start'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  transformTags: {
    // Only absolute http(s) and mailto links: a relative or scheme-less href (`/x`, `java%09script:`)
    // would resolve against whatever page embeds the message.
    a: (_tagName, attribs) => {
      const { href, ...rest } = attribs;
      const keep = href !== undefined && /^(https?:\/\/|mailto:)/i.test(href.trim());
      return { tagName: 'a', attribs: { ...rest, ...(keep ? { href } : {}), rel: 'nofollow noopener noreferrer', target: '_blank' } };
    },
  },
};

export function renderMarkdown(text: string): string {
  if (!text) return '';
  return sanitizeHtml(markdown.render(text), SANITIZE).trim();
}
