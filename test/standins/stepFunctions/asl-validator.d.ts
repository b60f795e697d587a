/** asl-validator ships no types: the one function Pulse calls (its dist/src/validator.js). */
declare module 'asl-validator' {
  interface ValidationResult {
    isValid: boolean;
    errors: { 'Error code': string; Message: string }[];
    errorsText(separator?: string): string;
  }
  export default function validator(
    definition: object,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): ValidationResult;
}
