// The operation a Run sends, parsed from the text it sends.
//
// Why: GraphiQL 5 parses the operation editor 100 ms after the last key (a debounce in
// @graphiql/react's operation editor) and keeps that parse (`documentAST`, `operationName`) in its
// store; Run sends the editor's current text but with that parse. So a Run within 100 ms of the
// last key sent the new text named and routed by the old parse: a subscription typed over a query
// went to HTTP POST (the toolkit's fetcher picks the WebSocket from `documentAST`), a renamed
// operation went with its old name. GraphiQL offers no way to flush that debounce, so the fetcher
// parses the text itself (graphql-js, microseconds for an editor's worth of text).
import { getSelectedOperationName, type FetcherOpts, type FetcherParams } from "@graphiql/toolkit";
import { Kind, parse, type DocumentNode, type OperationDefinitionNode } from "graphql";

const operationsOf = (document: DocumentNode | undefined): OperationDefinitionNode[] =>
  (document?.definitions ?? []).filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );

/**
 * `params` and `opts` with the document parsed from `params.query` and the operation GraphiQL
 * would have selected in it once parsed (its own rule, getSelectedOperationName: the name asked
 * for if the text still has it, else the one at the same place, else the first). Text that does
 * not parse is sent as it is (the server answers with the syntax error).
 */
export function currentOperation(params: FetcherParams, opts: FetcherOpts | undefined): [FetcherParams, FetcherOpts | undefined] {
  let document: DocumentNode;
  try {
    document = parse(params.query);
  } catch {
    return [params, opts];
  }
  const operationName = getSelectedOperationName(
    operationsOf(opts?.documentAST),
    params.operationName ?? undefined,
    operationsOf(document),
  );
  return [{ ...params, operationName: operationName ?? null }, { ...opts, documentAST: document }];
}
