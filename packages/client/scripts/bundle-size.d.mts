/** Types of scripts/bundle-size.mjs (imported by the bundle test). */
export declare const BUDGET_BYTES: number;
export declare function measure(): Promise<{ minified: number; gzipped: number; inputs: string[]; code: string }>;
