/** The SQL mark for hot, constant statements; see PreparedStatementClient. Domain modules use it from here, not from the saga library. */
export { prepared } from 'sagaworks';
