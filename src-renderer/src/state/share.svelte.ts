/** The UDF the token manager should offer first (set by a UDF page's Share button). */
export const share = $state({ udf: null as string | null });
